import { useState } from "preact/hooks";
import { all, api, errorText, must } from "../api/client";
import { Empty, ErrorBox, Notice, Show, useDirectory, useLoad, useSession, words } from "../ui";

/** Apps (admins): the catalog with owners and permissions, and registering an app. */
export function Apps() {
  const sess = useSession();
  const dir = useDirectory();
  const apps = useLoad(
    () =>
      all(async (pageToken) => {
        const r = await must(api.GET("/v1/apps", { params: { query: { pageSize: 500, pageToken } } }));
        return { items: r.apps ?? [], next: r.nextPageToken };
      }),
    [],
  );
  const [name, setName] = useState("");
  const [owner, setOwner] = useState("");
  const [perms, setPerms] = useState("viewer, editor");
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  return (
    <section>
      <h1>Apps</h1>
      <Show l={apps} what="apps">
        {(as) =>
          as.length === 0 ? (
            <Empty>No app yet.</Empty>
          ) : (
            <div class="scroll">
              <table data-testid="apps">
                <thead>
                  <tr>
                    <th scope="col">App</th>
                    <th scope="col">Owners</th>
                    <th scope="col">Permissions</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {as.map((a) => (
                    <tr key={a.id}>
                      <td>{a.name}</td>
                      <td>{(a.ownerIds ?? []).map(dir.userName).join(", ")}</td>
                      <td>{(a.permissions ?? []).map((p) => p.name + (p.privileged ? " (privileged)" : "")).join(", ")}</td>
                      <td>{words(a.status)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      {sess.isAdmin && (
        <form
          class="card"
          aria-labelledby="reg-h"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              const a = await must(
                api.POST("/v1/apps", {
                  body: {
                    name,
                    ownerIds: owner ? [owner] : [],
                    permissions: perms
                      .split(",")
                      .map((p) => p.trim())
                      .filter(Boolean)
                      .map((p) => ({ name: p })),
                  },
                }),
              );
              setNotice(`${a.name} was registered.`);
              setName("");
              apps.reload();
              dir.reload();
            } catch (err) {
              setError(errorText(err));
            }
          }}
        >
          <h2 id="reg-h">Register an existing app</h2>
          <label htmlFor="app-name">Name</label>
          <input id="app-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <label htmlFor="app-owner">Owner</label>
          <select id="app-owner" value={owner} onChange={(e) => setOwner(e.currentTarget.value)}>
            <option value="">none</option>
            {[...dir.users.values()].map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName}
              </option>
            ))}
          </select>
          <label htmlFor="app-perms">Permissions (comma-separated)</label>
          <input id="app-perms" value={perms} onInput={(e) => setPerms(e.currentTarget.value)} />
          <button type="submit">Register</button>
          <Notice text={notice} />
          <ErrorBox error={error} />
        </form>
      )}
    </section>
  );
}
