import { useState } from "preact/hooks";
import { api, errorText, must, type Task } from "../api/client";
import { Link } from "../router";
import { Badge, Empty, ErrorBox, Show, useDirectory, useLoad, useSession, when, words } from "../ui";
import { StepView } from "./workflow";

/** A request's timeline: its pinned policy version, each step and its tasks, the
 * decisions, and the audit lineage. */
export function RequestPage({ id }: { id: string }) {
  const dir = useDirectory();
  const sess = useSession();
  const [error, setError] = useState<string>();
  const req = useLoad(() => must(api.GET("/v1/requests/{id}", { params: { path: { id } } })), [id]);
  const r = req.data;
  const version = useLoad(async () => {
    if (!r?.policyId || !r.policyVersion) return undefined;
    return must(api.GET("/v1/policies/{policyId}/versions/{version}", { params: { path: { policyId: r.policyId, version: r.policyVersion } } }));
  }, [r?.policyId, r?.policyVersion]);
  const tasks = useLoad(async () => {
    const out: Task[] = [];
    for (const tid of r?.taskIds ?? []) {
      try {
        out.push(await must(api.GET("/v1/tasks/{id}", { params: { path: { id: tid } } })));
      } catch {
        /* a task the caller may not see */
      }
    }
    return out;
  }, [r?.taskIds?.join(","), r?.updateTime]);
  const audit = useLoad(() => must(api.GET("/v1/auditEvents", { params: { query: { requestId: id, pageSize: 200 } } })), [id, r?.updateTime]);

  const cancel = async () => {
    setError(undefined);
    try {
      await must(api.POST("/v1/requests/{id}:cancel", { params: { path: { id } }, body: {} }));
      req.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section>
      <p>
        <Link href="/requests">← Requests</Link>
      </p>
      <Show l={req} what="the request">
        {(r) => (
          <>
            <div class="row">
              <h1>
                {words(r.type)}: {dir.appName(r.appId) || r.newApp?.name} {r.permission && <code>{r.permission}</code>}
              </h1>
              <span data-testid="request-status">
                <Badge value={r.status} />
              </span>
              <button type="button" class="secondary" onClick={() => req.reload()}>
                Refresh
              </button>
            </div>
            <dl class="facts card">
              <dt>For</dt>
              <dd>{dir.userName(r.targetUserId)}</dd>
              <dt>Asked by</dt>
              <dd>{dir.userName(r.requesterId)}</dd>
              <dt>Why</dt>
              <dd>{r.reason || <span class="muted">no reason given</span>}</dd>
              <dt>Stage</dt>
              <dd>
                {words(r.stage)}
                {r.stage === "REVIEW" ? `, step ${(r.stepIndex ?? 0) + 1}` : ""}
              </dd>
              <dt>Policy</dt>
              <dd>
                {r.policyId ? (
                  <Link href={`/policies/${r.policyId}?version=${r.policyVersion}`}>
                    version {r.policyVersion} ({words(r.policyLevel)})
                  </Link>
                ) : (
                  "none"
                )}
              </dd>
              <dt>Opened</dt>
              <dd>{when(r.createTime)}</dd>
              {r.failureReason && (
                <>
                  <dt>Failure</dt>
                  <dd>{r.failureReason}</dd>
                </>
              )}
            </dl>
            {r.status === "IN_PROGRESS" && (sess.isAdmin || r.requesterId === sess.me.user?.id) && (
              <button type="button" class="danger" onClick={() => void cancel()}>
                Cancel request
              </button>
            )}
            <ErrorBox error={error} />
            <h2>Steps</h2>
            <Show l={version} what="the policy version">
              {(v) =>
                !v ? (
                  <Empty>No policy version pinned.</Empty>
                ) : (
                  <ol class="steps">
                    {[...(v.workflow?.reviewSteps ?? []), ...(v.workflow?.actionStep ? [v.workflow.actionStep] : [])].map((s, i, all) => {
                      const isAction = i === all.length - 1 && !!v.workflow?.actionStep;
                      const ts = (tasks.data ?? []).filter((t) => (isAction ? t.type === "ACTION" : t.type === "REVIEW" && (t.stepIndex ?? 0) === i));
                      return (
                        <li key={i} class="card">
                          <StepView step={s} action={isAction} />
                          {ts.length === 0 ? (
                            <p class="muted">No task yet.</p>
                          ) : (
                            <ul class="plain">
                              {ts.map((t) => (
                                <li key={t.id} data-task={t.id}>
                                  <Badge value={t.status} /> {(t.assigneeIds ?? []).map(dir.userName).join(", ") || "the agent"}
                                  {t.decidedBy && (
                                    <>
                                      {" "}
                                      — {t.decision === "APPROVE" ? "approved" : t.decision === "DECLINE" ? "declined" : "completed"} by {dir.userName(t.decidedBy)}
                                      {t.justification ? `: “${t.justification}”` : ""}
                                    </>
                                  )}
                                  {(t.history ?? []).length > 0 && (
                                    <details>
                                      <summary>History</summary>
                                      <ul>
                                        {(t.history ?? []).map((h, j) => (
                                          <li key={j}>
                                            {when(h.time)} {h.event} {h.actorId && `by ${dir.userName(h.actorId)}`} {h.note}
                                          </li>
                                        ))}
                                      </ul>
                                    </details>
                                  )}
                                </li>
                              ))}
                            </ul>
                          )}
                        </li>
                      );
                    })}
                  </ol>
                )
              }
            </Show>
            <h2>Audit lineage</h2>
            <Show l={audit} what="the audit events">
              {(a) =>
                (a.auditEvents ?? []).length === 0 ? (
                  <Empty>No audit event you may see.</Empty>
                ) : (
                  <ol class="lineage" data-testid="lineage">
                    {(a.auditEvents ?? []).map((e) => (
                      <li key={e.id}>
                        <code>#{e.seq}</code> {when(e.time)} <b>{e.action}</b> by {dir.userName(e.actorId) || e.service}{" "}
                        <span class="muted hash" title={e.hash}>
                          {e.hash?.slice(0, 12)}
                        </span>
                      </li>
                    ))}
                  </ol>
                )
              }
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
