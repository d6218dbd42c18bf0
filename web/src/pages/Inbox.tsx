import { useState } from "preact/hooks";
import { api, errorText, must, type Req, type Task } from "../api/client";
import { Link, setQuery } from "../router";
import { Badge, Empty, ErrorBox, Notice, Show, useDirectory, useLoad, useSession, when, words } from "../ui";

const statuses = ["PENDING", "DONE", "DECLINED", "CANCELLED"] as const;
type TStatus = (typeof statuses)[number];

/** The inbox: the caller's tasks, each with its request's context and the decisions it allows. */
export function Inbox({ query }: { query: URLSearchParams }) {
  const { me } = useSession();
  const status = (statuses as readonly string[]).includes(query.get("status") ?? "") ? (query.get("status") as TStatus) : "PENDING";
  const [notice, setNotice] = useState<string>();
  const tasks = useLoad(async () => {
    const r = await must(api.GET("/v1/tasks", { params: { query: { assigneeId: me.user?.id, status, pageSize: 100 } } }));
    const list = r.tasks ?? [];
    const ids = [...new Set(list.map((t) => t.requestId).filter((x): x is string => !!x))];
    const reqs = new Map<string, Req>();
    await Promise.all(
      ids.map(async (id) => {
        try {
          reqs.set(id, await must(api.GET("/v1/requests/{id}", { params: { path: { id } } })));
        } catch {
          /* shown as unknown */
        }
      }),
    );
    return { list, reqs };
  }, [status]);

  return (
    <section>
      <h1>Inbox</h1>
      <div class="filters">
        <label htmlFor="inbox-status">Show</label>
        <select id="inbox-status" value={status} onChange={(e) => setQuery("/inbox", { status: e.currentTarget.value })}>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {words(s)} tasks
            </option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={() => tasks.reload()}>
          Refresh
        </button>
      </div>
      <Notice text={notice} />
      <Show l={tasks} what="your tasks">
        {({ list, reqs }) =>
          list.length === 0 ? (
            <Empty>{status === "PENDING" ? "Nothing waits for you. New tasks appear here." : `No ${words(status)} tasks.`}</Empty>
          ) : (
            <ul class="cards">
              {list.map((t) => (
                <TaskCard
                  key={t.id}
                  task={t}
                  req={t.requestId ? reqs.get(t.requestId) : undefined}
                  onDone={(msg) => {
                    setNotice(msg);
                    tasks.reload();
                  }}
                />
              ))}
            </ul>
          )
        }
      </Show>
    </section>
  );
}

function TaskCard({ task, req, onDone }: { task: Task; req?: Req; onDone: (msg: string) => void }) {
  const dir = useDirectory();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = task.id ?? "";
  const pending = task.status === "PENDING";
  const review = task.type === "REVIEW";
  // A task type this console does not know (a newer server) is shown without actions.
  const type = String(task.type ?? "");
  const completable = type === "ACTION" || type === "STANDALONE";
  const accessReview = type === "ACCESS_REVIEW";
  const campaignId = (task as Record<string, unknown>).accessReviewId;
  const reviewHref = typeof campaignId === "string" && campaignId ? `/reviews?campaign=${encodeURIComponent(campaignId)}&whose=mine` : "/reviews";
  const act = async (what: "approve" | "decline" | "complete") => {
    setBusy(true);
    setError(undefined);
    try {
      if (what === "approve") await must(api.POST("/v1/tasks/{id}:approve", { params: { path: { id } }, body: { justification: text, etag: task.etag } }));
      if (what === "decline") await must(api.POST("/v1/tasks/{id}:decline", { params: { path: { id } }, body: { justification: text, etag: task.etag } }));
      if (what === "complete") await must(api.POST("/v1/tasks/{id}:complete", { params: { path: { id } }, body: { note: text, etag: task.etag } }));
      onDone(`Task ${what === "complete" ? "completed" : what + "d"}${req ? `: ${words(req.type)} ${dir.appName(req.appId)} ${req.permission ?? ""}` : ""}.`);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  const fieldId = `task-${id}-text`;
  return (
    <li class="card task" data-task={id}>
      <div class="row">
        <h2>
          {req ? (
            <>
              {words(req.type)}: {dir.appName(req.appId) || req.newApp?.name} {req.permission && <code>{req.permission}</code>}
            </>
          ) : (
            task.action || words(task.type)
          )}
        </h2>
        <Badge value={task.status} />
      </div>
      <dl class="facts">
        {req && (
          <>
            <dt>Who</dt>
            <dd>
              {dir.userName(req.targetUserId)}
              {req.requesterId !== req.targetUserId && <> (asked by {dir.userName(req.requesterId)})</>}
            </dd>
            <dt>Why</dt>
            <dd>{req.reason || <span class="muted">no reason given</span>}</dd>
          </>
        )}
        <dt>Task</dt>
        <dd>
          {words(task.type)}
          {task.stepName ? ` — step ${(task.stepIndex ?? 0) + 1}: ${task.stepName}` : ""}
          {task.action && !task.stepName ? ` — ${task.action}` : ""}
        </dd>
        {task.policyId && (
          <>
            <dt>Policy</dt>
            <dd>
              <Link href={`/policies/${task.policyId}?version=${task.policyVersion}`}>version {task.policyVersion}</Link>
            </dd>
          </>
        )}
        <dt>Opened</dt>
        <dd>{when(task.createTime)}</dd>
        {task.requestId && (
          <>
            <dt>Request</dt>
            <dd>
              <Link href={`/requests/${task.requestId}`}>timeline</Link>
            </dd>
          </>
        )}
      </dl>
      {pending && accessReview && (
        <p>
          <Link href={reviewHref}>Open the access review</Link> to keep, change or remove each access it asks you about; this task is done with your last item.
        </p>
      )}
      {pending && !review && !completable && !accessReview && (
        <p class="muted">This console cannot act on a task of type “{words(type)}”; use the API or the command line.</p>
      )}
      {pending && (review || completable) && (
        <div class="decide">
          <label htmlFor={fieldId}>{review ? "Justification" : "Note"}</label>
          <textarea id={fieldId} rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <div class="buttons">
            {review ? (
              <>
                <button type="button" disabled={busy} onClick={() => void act("approve")}>
                  Approve
                </button>
                <button type="button" class="danger" disabled={busy} onClick={() => void act("decline")}>
                  Decline
                </button>
              </>
            ) : (
              <button type="button" disabled={busy} onClick={() => void act("complete")}>
                Complete
              </button>
            )}
          </div>
        </div>
      )}
      {!pending && task.decidedBy && (
        <p class="muted">
          {task.decision === "APPROVE" ? "Approved" : task.decision === "DECLINE" ? "Declined" : "Completed"} by {dir.userName(task.decidedBy)}
          {task.justification ? `: “${task.justification}”` : ""}
        </p>
      )}
      <ErrorBox error={error} />
    </li>
  );
}
