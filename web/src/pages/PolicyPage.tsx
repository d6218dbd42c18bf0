import { useEffect, useState } from "preact/hooks";
import { api, errorText, must, type Workflow } from "../api/client";
import { Link, navigate } from "../router";
import { Badge, ErrorBox, Notice, Show, useDirectory, useLoad, useSession, when, words } from "../ui";
import { WorkflowEditor, WorkflowView } from "./workflow";

/** A policy: its versions, one version's workflow as its steps; drafts edited and activated. */
export function PolicyPage({ id, query }: { id: string; query: URLSearchParams }) {
  const dir = useDirectory();
  const sess = useSession();
  const canEdit = sess.can("CREATE_CUSTOM_POLICIES");
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const policy = useLoad(() => must(api.GET("/v1/policies/{id}", { params: { path: { id } } })), [id]);
  const versions = useLoad(() => must(api.GET("/v1/policies/{policyId}/versions", { params: { path: { policyId: id }, query: { pageSize: 200 } } })), [id]);
  const p = policy.data;
  const selected = query.get("version") || (p?.activeVersion && p.activeVersion !== "0" ? p.activeVersion : p?.latestVersion) || "";
  const version = useLoad(
    async () => (selected ? must(api.GET("/v1/policies/{policyId}/versions/{version}", { params: { path: { policyId: id, version: selected } } })) : undefined),
    [id, selected],
  );
  const [draft, setDraft] = useState<Workflow>();
  useEffect(() => setDraft(undefined), [id, selected]);

  const run = async (what: string, f: () => Promise<unknown>) => {
    setError(undefined);
    setNotice(undefined);
    try {
      await f();
      setNotice(what);
      policy.reload();
      versions.reload();
      version.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const v = version.data;
  return (
    <section>
      <p>
        <Link href="/policies">← Policies</Link>
      </p>
      <Show l={policy} what="the policy">
        {(p) => (
          <>
            <h1>{p.name}</h1>
            <dl class="facts card">
              <dt>Request type</dt>
              <dd>{words(p.requestType)}</dd>
              <dt>Level</dt>
              <dd>{words(p.level)}</dd>
              <dt>Scope</dt>
              <dd>
                {dir.appName(p.scope?.appId) || "everything"} {(p.scope?.permissions ?? []).join(", ")}
              </dd>
              <dt>Active version</dt>
              <dd>{p.activeVersion && p.activeVersion !== "0" ? p.activeVersion : "none"}</dd>
            </dl>
            {canEdit && p.level !== "SYSTEM_DEFAULT" && p.activeVersion && p.activeVersion !== "0" && (
              <div class="buttons">
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    void run(`The policy is retired: version ${p.activeVersion} no longer governs, the next broader policy does.`, () =>
                      must(api.POST("/v1/policies/{id}:retire", { params: { path: { id } }, body: {} })),
                    )
                  }
                >
                  Retire policy
                </button>
              </div>
            )}
          </>
        )}
      </Show>
      <Notice text={notice} />
      <ErrorBox error={error} />
      <div class="two">
        <nav aria-label="Versions" class="versions">
          <h2>Versions</h2>
          <Show l={versions} what="versions">
            {(r) => (
              <ul class="plain">
                {(r.versions ?? []).map((x) => (
                  <li key={x.version}>
                    <Link href={`/policies/${id}?version=${x.version}`} aria-current={x.version === selected ? "page" : undefined}>
                      Version {x.version}
                    </Link>{" "}
                    <Badge value={x.state} />
                  </li>
                ))}
              </ul>
            )}
          </Show>
          {canEdit && v && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                void run("A new draft version was added.", async () => {
                  const n = await must(api.POST("/v1/policies/{policyId}/versions", { params: { path: { policyId: id } }, body: { workflow: v.workflow } }));
                  navigate(`/policies/${id}?version=${n.version}`);
                })
              }
            >
              New draft from version {v.version}
            </button>
          )}
        </nav>
        <div>
          <Show l={version} what="the version">
            {(v) =>
              v && (
                <>
                  <div class="row">
                    <h2>
                      Version {v.version} <Badge value={v.state} />
                    </h2>
                  </div>
                  <p class="muted">
                    Created {when(v.createTime)}
                    {v.activateTime && `, activated ${when(v.activateTime)}`}
                    {v.retireTime && `, retired ${when(v.retireTime)}`}
                  </p>
                  {draft ? (
                    <form
                      onSubmit={(e) => {
                        e.preventDefault();
                        void run("The draft was saved.", () =>
                          must(
                            api.PATCH("/v1/policies/{policyId}/versions/{version}", {
                              params: { path: { policyId: id, version: v.version ?? "" } },
                              body: { workflow: draft, etag: v.etag },
                            }),
                          ).then(() => setDraft(undefined)),
                        );
                      }}
                    >
                      <WorkflowEditor value={draft} onChange={setDraft} />
                      <div class="buttons">
                        <button type="submit">Save draft</button>
                        <button type="button" class="secondary" onClick={() => setDraft(undefined)}>
                          Discard changes
                        </button>
                      </div>
                    </form>
                  ) : (
                    <WorkflowView workflow={v.workflow} />
                  )}
                  {canEdit && v.state === "DRAFT" && !draft && (
                    <div class="buttons">
                      <button type="button" class="secondary" onClick={() => setDraft(structuredClone(v.workflow ?? {}))}>
                        Edit draft
                      </button>
                      <button
                        type="button"
                        onClick={() =>
                          void run(`Version ${v.version} is active.`, () =>
                            must(api.POST("/v1/policies/{policyId}/versions/{version}:activate", { params: { path: { policyId: id, version: v.version ?? "" } }, body: {} })),
                          )
                        }
                      >
                        Activate version {v.version}
                      </button>
                    </div>
                  )}
                </>
              )
            }
          </Show>
        </div>
      </div>
    </section>
  );
}
