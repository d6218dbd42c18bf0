import { useState } from "preact/hooks";
import { all, api, errorText, must } from "../api/client";
import { ErrorBox, Notice, Show, useDirectory, useLoad, useSession, words } from "../ui";

type Role = "USER" | "ADMIN" | "GENERAL_MANAGER";

/** People (admins): the directory and onboarding. */
export function People() {
  const sess = useSession();
  const dir = useDirectory();
  const users = useLoad(
    () =>
      all(async (pageToken) => {
        const r = await must(api.GET("/v1/users", { params: { query: { pageSize: 500, pageToken } } }));
        return { items: r.users ?? [], next: r.nextPageToken };
      }),
    [],
  );
  const [form, setForm] = useState({ email: "", displayName: "", role: "USER" as Role, managerId: "" });
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  return (
    <section>
      <h1>People</h1>
      <Show l={users} what="people">
        {(us) => (
          <div class="scroll">
            <table data-testid="people">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Manager</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {us.map((u) => (
                  <tr key={u.id}>
                    <td>{u.displayName}</td>
                    <td>{u.email}</td>
                    <td>{words(u.role)}</td>
                    <td>{dir.userName(u.managerId)}</td>
                    <td>{words(u.status)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      {sess.can("ONBOARD_USER") && (
        <form
          class="card"
          aria-labelledby="onboard-h"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              const u = await must(api.POST("/v1/users", { body: form }));
              setNotice(`${u.displayName} was onboarded.`);
              setForm({ email: "", displayName: "", role: "USER", managerId: "" });
              users.reload();
              dir.reload();
            } catch (err) {
              setError(errorText(err));
            }
          }}
        >
          <h2 id="onboard-h">Onboard a person</h2>
          <label htmlFor="on-name">Name</label>
          <input id="on-name" required value={form.displayName} onInput={(e) => setForm({ ...form, displayName: e.currentTarget.value })} />
          <label htmlFor="on-email">Email</label>
          <input id="on-email" type="email" required value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />
          <label htmlFor="on-role">Role</label>
          <select id="on-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}>
            <option value="USER">user</option>
            <option value="ADMIN">admin</option>
          </select>
          <label htmlFor="on-manager">Manager</label>
          <select id="on-manager" required value={form.managerId} onChange={(e) => setForm({ ...form, managerId: e.currentTarget.value })}>
            <option value="">Choose…</option>
            {[...dir.users.values()].map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName}
              </option>
            ))}
          </select>
          <button type="submit">Onboard</button>
          <Notice text={notice} />
          <ErrorBox error={error} />
        </form>
      )}
    </section>
  );
}
