import { useState } from "preact/hooks";
import { api, errorText, must, type Workflow } from "../api/client";
import { Link, navigate } from "../router";
import { ErrorBox, useDirectory, useSession, words } from "../ui";
import { requestTypes, type RequestType } from "./Policies";
import { WorkflowEditor } from "./workflow";

/** Create a policy: its scope and workflow become draft version 1. */
export function NewPolicy() {
  const dir = useDirectory();
  const sess = useSession();
  const [name, setName] = useState("");
  const [requestType, setType] = useState<RequestType>("GRANT_ACCESS");
  const [appId, setApp] = useState("");
  const [perms, setPerms] = useState<string[]>([]);
  const [workflow, setWorkflow] = useState<Workflow>({
    reviewSteps: [{ name: "Manager review", assignee: { kind: "MANAGER" }, approval: "ANY" }],
    actionStep: { name: "Grant", assignee: { kind: "APP_OWNER" } },
  });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const app = dir.apps.get(appId);
  if (!sess.can("CREATE_CUSTOM_POLICIES"))
    return (
      <section>
        <h1>New policy</h1>
        <p class="error" role="alert">
          Only administrators create policies.
        </p>
      </section>
    );
  return (
    <section>
      <p>
        <Link href="/policies">← Policies</Link>
      </p>
      <h1>New policy</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const p = await must(
              api.POST("/v1/policies", { body: { name, requestType, scope: appId ? { appId, permissions: perms } : {}, workflow } }),
            );
            navigate(`/policies/${p.id}?version=1`);
          } catch (err) {
            setError(errorText(err));
            setBusy(false);
          }
        }}
      >
        <div class="card">
          <label htmlFor="np-name">Name</label>
          <input id="np-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <label htmlFor="np-type">Request type</label>
          <select id="np-type" value={requestType} onChange={(e) => setType(e.currentTarget.value as RequestType)}>
            {requestTypes.map((t) => (
              <option key={t} value={t}>
                {words(t)}
              </option>
            ))}
          </select>
          <label htmlFor="np-app">Scope: app</label>
          <select
            id="np-app"
            value={appId}
            onChange={(e) => {
              setApp(e.currentTarget.value);
              setPerms([]);
            }}
          >
            <option value="">every app (global)</option>
            {[...dir.apps.values()].map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          {app && (
            <fieldset>
              <legend>Scope: permissions (none: the whole app)</legend>
              {(app.permissions ?? []).map((p) => (
                <label key={p.name} class="check">
                  <input
                    type="checkbox"
                    checked={perms.includes(p.name ?? "")}
                    onChange={(e) => setPerms(e.currentTarget.checked ? [...perms, p.name ?? ""] : perms.filter((x) => x !== p.name))}
                  />{" "}
                  {p.name}
                </label>
              ))}
            </fieldset>
          )}
        </div>
        <h2>Workflow</h2>
        <WorkflowEditor value={workflow} onChange={setWorkflow} />
        <button type="submit" disabled={busy || !name.trim()}>
          Create draft
        </button>
        <ErrorBox error={error} />
      </form>
    </section>
  );
}
