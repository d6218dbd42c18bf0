import type { Step, Workflow } from "../api/client";
import { useDirectory, words } from "../ui";

type Kind = NonNullable<NonNullable<Step["assignee"]>["kind"]>;
type Approval = NonNullable<Step["approval"]>;
const kinds: Kind[] = ["MANAGER", "APP_OWNER", "ADMINS", "PRIVILEGED_USERS", "CUSTOM_ROLE", "USER_GROUPS", "USERS", "AGENT"];
const approvals: Approval[] = ["ANY", "ALL", "QUORUM"];

/** StepView reads one step in words. */
export function StepView({ step, action }: { step: Step; action?: boolean }) {
  const dir = useDirectory();
  const a = step.assignee;
  let who = words(a?.kind);
  if (a?.kind === "USERS") who = (a.userIds ?? []).map(dir.userName).join(", ");
  if (a?.kind === "CUSTOM_ROLE") who = `custom role ${a.customRole}`;
  if (a?.kind === "USER_GROUPS") who = `groups ${(a.groupIds ?? []).join(", ")}`;
  return (
    <div class="step">
      <b>{step.name || (action ? "Action" : "Review")}</b> <span class="muted">{action ? "action step" : "review step"}</span>
      <div>
        {action ? "Done by" : "Reviewed by"} {who}
        {!action && step.approval === "ALL" && " — every one must approve"}
        {!action && step.approval === "QUORUM" && ` — ${step.minApprovals} approvals needed`}
        {!action && step.approval === "ANY" && " — any one decides"}
      </div>
    </div>
  );
}

export function WorkflowView({ workflow }: { workflow?: Workflow }) {
  const steps = workflow?.reviewSteps ?? [];
  return (
    <ol class="steps" data-testid="workflow">
      {steps.map((s, i) => (
        <li key={i} class="card">
          <StepView step={s} />
        </li>
      ))}
      {workflow?.actionStep && (
        <li class="card">
          <StepView step={workflow.actionStep} action />
        </li>
      )}
    </ol>
  );
}

const csv = (v: string) =>
  v
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

function StepEditor({ id, step, action, onChange, onRemove }: { id: string; step: Step; action?: boolean; onChange: (s: Step) => void; onRemove?: () => void }) {
  const kind = step.assignee?.kind ?? "MANAGER";
  const set = (p: Partial<Step>) => onChange({ ...step, ...p });
  const setA = (p: Partial<NonNullable<Step["assignee"]>>) => set({ assignee: { ...step.assignee, ...p } });
  return (
    <fieldset class="card">
      <legend>{action ? "Action step" : "Review step"}</legend>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={step.name ?? ""} onInput={(e) => set({ name: e.currentTarget.value })} />
      <label htmlFor={`${id}-kind`}>Assignee</label>
      <select id={`${id}-kind`} value={kind} onChange={(e) => setA({ kind: e.currentTarget.value as Kind })}>
        {kinds
          .filter((k) => action || k !== "AGENT")
          .map((k) => (
            <option key={k} value={k}>
              {words(k)}
            </option>
          ))}
      </select>
      {kind === "USERS" && (
        <>
          <label htmlFor={`${id}-users`}>User ids (comma-separated)</label>
          <input id={`${id}-users`} value={(step.assignee?.userIds ?? []).join(", ")} onInput={(e) => setA({ userIds: csv(e.currentTarget.value) })} />
        </>
      )}
      {kind === "USER_GROUPS" && (
        <>
          <label htmlFor={`${id}-groups`}>Group ids (comma-separated)</label>
          <input id={`${id}-groups`} value={(step.assignee?.groupIds ?? []).join(", ")} onInput={(e) => setA({ groupIds: csv(e.currentTarget.value) })} />
        </>
      )}
      {kind === "CUSTOM_ROLE" && (
        <>
          <label htmlFor={`${id}-role`}>Custom role</label>
          <input id={`${id}-role`} value={step.assignee?.customRole ?? ""} onInput={(e) => setA({ customRole: e.currentTarget.value })} />
        </>
      )}
      {!action && (
        <>
          <label htmlFor={`${id}-approval`}>Approval</label>
          <select id={`${id}-approval`} value={step.approval ?? "ANY"} onChange={(e) => set({ approval: e.currentTarget.value as Approval })}>
            {approvals.map((a) => (
              <option key={a} value={a}>
                {words(a)}
              </option>
            ))}
          </select>
          {step.approval === "QUORUM" && (
            <>
              <label htmlFor={`${id}-min`}>Approvals needed</label>
              <input id={`${id}-min`} type="number" min={1} value={step.minApprovals ?? 1} onInput={(e) => set({ minApprovals: Number(e.currentTarget.value) })} />
            </>
          )}
        </>
      )}
      {onRemove && (
        <button type="button" class="secondary" onClick={onRemove}>
          Remove this step
        </button>
      )}
    </fieldset>
  );
}

/** WorkflowEditor edits review steps (in order) and the action step. */
export function WorkflowEditor({ value, onChange }: { value: Workflow; onChange: (w: Workflow) => void }) {
  const steps = value.reviewSteps ?? [];
  return (
    <div class="wf-editor">
      {steps.map((s, i) => (
        <StepEditor
          key={i}
          id={`rs${i}`}
          step={s}
          onChange={(n) => onChange({ ...value, reviewSteps: steps.map((x, j) => (j === i ? n : x)) })}
          onRemove={() => onChange({ ...value, reviewSteps: steps.filter((_, j) => j !== i) })}
        />
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => onChange({ ...value, reviewSteps: [...steps, { name: `Review ${steps.length + 1}`, assignee: { kind: "MANAGER" }, approval: "ANY" }] })}
      >
        Add a review step
      </button>
      <StepEditor id="as" step={value.actionStep ?? { assignee: { kind: "APP_OWNER" } }} action onChange={(n) => onChange({ ...value, actionStep: n })} />
    </div>
  );
}
