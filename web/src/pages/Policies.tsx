import { useState } from "preact/hooks";
import { api, errorText, must, type S } from "../api/client";
import { Link, setQuery } from "../router";
import { Empty, ErrorBox, Show, useDirectory, useLoad, useSession, words } from "../ui";
import { WorkflowView } from "./workflow";

export const requestTypes = ["GRANT_ACCESS", "CHANGE_PERMISSION", "REMOVE_ACCESS", "ADD_APP", "ARCHIVE_APP"] as const;
export type RequestType = (typeof requestTypes)[number];

/** Policies: the list (filtered by request type and app), and "which policy governs?". */
export function Policies({ query }: { query: URLSearchParams }) {
  const dir = useDirectory();
  const sess = useSession();
  const requestType = query.get("requestType") || "";
  const appId = query.get("appId") || "";
  const l = useLoad(
    () => must(api.GET("/v1/policies", { params: { query: { requestType: (requestType || undefined) as RequestType | undefined, appId: appId || undefined, pageSize: 200 } } })),
    [requestType, appId],
  );
  return (
    <section>
      <div class="row">
        <h1>Policies</h1>
        {sess.can("CREATE_CUSTOM_POLICIES") && (
          <Link href="/policies/new" class="button">
            New policy
          </Link>
        )}
      </div>
      <Resolve />
      <h2>All policies</h2>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="pl-type">Request type</label>
        <select id="pl-type" value={requestType} onChange={(e) => setQuery("/policies", { requestType: e.currentTarget.value, appId })}>
          <option value="">any</option>
          {requestTypes.map((t) => (
            <option key={t} value={t}>
              {words(t)}
            </option>
          ))}
        </select>
        <label htmlFor="pl-app">App</label>
        <select id="pl-app" value={appId} onChange={(e) => setQuery("/policies", { requestType, appId: e.currentTarget.value })}>
          <option value="">any</option>
          {[...dir.apps.values()].map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </form>
      <Show l={l} what="policies">
        {(r) =>
          (r.policies ?? []).length === 0 ? (
            <Empty>No policy matches.</Empty>
          ) : (
            <div class="scroll">
              <table data-testid="policies">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Request type</th>
                    <th scope="col">Level</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Active</th>
                    <th scope="col">Latest</th>
                  </tr>
                </thead>
                <tbody>
                  {(r.policies ?? []).map((p) => (
                    <tr key={p.id}>
                      <td>
                        <Link href={`/policies/${p.id}`}>{p.name}</Link>
                      </td>
                      <td>{words(p.requestType)}</td>
                      <td>{words(p.level)}</td>
                      <td>
                        {dir.appName(p.scope?.appId) || "everything"} {(p.scope?.permissions ?? []).join(", ")}
                      </td>
                      <td>{p.activeVersion && p.activeVersion !== "0" ? `v${p.activeVersion}` : "none"}</td>
                      <td>v{p.latestVersion}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}

/** Resolve answers "which policy governs?" with the reason the policy service gives. */
function Resolve() {
  const dir = useDirectory();
  const [requestType, setType] = useState<RequestType>("GRANT_ACCESS");
  const [appId, setApp] = useState("");
  const [permission, setPerm] = useState("");
  const [answer, setAnswer] = useState<S["v1ResolvePolicyResponse"]>();
  const [error, setError] = useState<string>();
  const app = dir.apps.get(appId);
  return (
    <form
      class="card"
      aria-labelledby="resolve-h"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        setAnswer(undefined);
        try {
          setAnswer(await must(api.POST("/v1/policies:resolve", { body: { requestType, appId, permission } })));
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <h2 id="resolve-h">Which policy governs?</h2>
      <div class="grid3">
        <div>
          <label htmlFor="rv-type">Request type</label>
          <select id="rv-type" value={requestType} onChange={(e) => setType(e.currentTarget.value as RequestType)}>
            {requestTypes.map((t) => (
              <option key={t} value={t}>
                {words(t)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="rv-app">App</label>
          <select
            id="rv-app"
            value={appId}
            onChange={(e) => {
              setApp(e.currentTarget.value);
              setPerm("");
            }}
          >
            <option value="">none</option>
            {[...dir.apps.values()].map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="rv-perm">Permission</label>
          <select id="rv-perm" value={permission} onChange={(e) => setPerm(e.currentTarget.value)}>
            <option value="">none</option>
            {(app?.permissions ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <button type="submit">Ask</button>
      <ErrorBox error={error} />
      {answer && (
        <div data-testid="resolve-answer" role="status">
          <p>
            <Link href={`/policies/${answer.policyId}?version=${answer.version}`}>{answer.policyName}</Link>, version {answer.version} ({words(answer.level)}).
          </p>
          <p class="reason">{answer.reason}</p>
          <WorkflowView workflow={answer.workflow} />
        </div>
      )}
    </form>
  );
}
