package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// taskColumns are read from tasks aliased t.
const taskColumns = `t.id, t.type, COALESCE(t.request_id, ''), COALESCE(t.step_index, 0), COALESCE(t.standalone_key, ''),
	t.policy_id, t.policy_version, t.step_name, t.assignee, t.assignee_ids, t.approval, t.min_approvals, t.action,
	t.decision, t.decided_by, t.justification, t.status, t.requester_id, t.target_user_id, t.history,
	t.create_time, t.update_time, t.version, t.due_time, t.escalate_time, t.escalation_user_ids, t.escalation_note, t.access_review_id`

// assigneeJSON is the assignee column: the step's spec.
type assigneeJSON struct {
	Kind       string   `json:"kind"`
	CustomRole string   `json:"customRole,omitempty"`
	GroupIDs   []string `json:"groupIds,omitempty"`
	UserIDs    []string `json:"userIds,omitempty"`
}

// historyJSON is one element of the history column.
type historyJSON struct {
	Time    time.Time `json:"time"`
	ActorID string    `json:"actorId"`
	Event   string    `json:"event"`
	Note    string    `json:"note,omitempty"`
}

func scanTask(row pgx.CollectableRow) (domain.Task, error) {
	var (
		t       domain.Task
		a       assigneeJSON
		h       []historyJSON
		stepIdx int32
		minApp  int32
	)
	err := row.Scan(&t.ID, &t.Type, &t.RequestID, &stepIdx, &t.Key,
		&t.PolicyID, &t.PolicyVersion, &t.StepName, &a, &t.AssigneeIDs, &t.Approval, &minApp, &t.Action,
		&t.Decision, &t.DecidedBy, &t.Justification, &t.Status, &t.RequesterID, &t.TargetUserID, &h,
		&t.CreateTime, &t.UpdateTime, &t.Version, pgstore.ZeroIfNull(&t.DueTime), pgstore.ZeroIfNull(&t.EscalateTime), &t.EscalationUserIDs, &t.EscalationNote, &t.AccessReviewID)
	if len(t.EscalationUserIDs) == 0 {
		t.EscalationUserIDs = nil
	}
	t.StepIndex, t.MinApprovals = int(stepIdx), int(minApp)
	t.Assignee = domain.Assignee{Kind: a.Kind, CustomRole: a.CustomRole, GroupIDs: a.GroupIDs, UserIDs: a.UserIDs}
	for _, e := range h {
		t.History = append(t.History, domain.HistoryEntry{Time: e.Time.UTC(), ActorID: e.ActorID, Event: e.Event, Note: e.Note})
	}
	return t, err
}

func assigneeOf(t domain.Task) assigneeJSON {
	a := t.Assignee
	return assigneeJSON{Kind: a.Kind, CustomRole: a.CustomRole, GroupIDs: a.GroupIDs, UserIDs: a.UserIDs}
}

func historyOf(t domain.Task) []historyJSON {
	out := make([]historyJSON, len(t.History))
	for i, e := range t.History {
		out[i] = historyJSON{Time: e.Time, ActorID: e.ActorID, Event: e.Event, Note: e.Note}
	}
	return out
}

func (r reader) GetTask(ctx context.Context, id string) (domain.Task, error) {
	return pgstore.One(ctx, r.q, "get task "+id, scanTask, "SELECT "+taskColumns+" FROM tasks t WHERE t.id = $1", id)
}

func (r reader) GetTaskByKey(ctx context.Context, key string) (domain.Task, error) {
	return pgstore.One(ctx, r.q, "get task by key", scanTask, "SELECT "+taskColumns+" FROM tasks t WHERE t.standalone_key = $1", key)
}

func (r reader) StepTasks(ctx context.Context, requestID string, index int) ([]domain.Task, error) {
	return pgstore.All(ctx, r.q, "step tasks", scanTask,
		"SELECT "+taskColumns+" FROM tasks t WHERE t.request_id = $1 AND t.step_index = $2 ORDER BY t.id", requestID, index)
}

// ListTasks reads the tasks the filter selects, in id order (see listQuery).
func (r reader) ListTasks(ctx context.Context, f store.Filter, p store.Page) ([]domain.Task, error) {
	sql, args := listQuery(f, p)
	return pgstore.All(ctx, r.q, "list tasks", scanTask, sql, args...)
}

// listQuery builds ListTasks' statement from the filters present, in one of three shapes,
// each with a plan that reads about one page of rows however many tasks exist:
//
//   - by assignee (the inbox): the page of task ids comes first, from task_assignees'
//     (user_id, status, task_id) index in id order with the LIMIT inside, and only those
//     tasks are then read by primary key; the planner cannot choose to walk the tasks in
//     id order looking for the person's (which costs as many rows as precede the newest
//     pending task);
//   - by request (with or without an assignee): the request's few tasks, through
//     tasks_request_idx, the assignee as an EXISTS on task_assignees;
//   - by access review: the campaign's few tasks, through tasks_access_review_idx;
//   - neither: tasks in id order, through tasks_status_idx (status, id) or the primary key.
func listQuery(f store.Filter, p store.Page) (string, []any) {
	var args pgstore.Args
	if f.AssigneeID != "" && f.RequestID == "" && f.AccessReviewID == "" {
		conds := []string{"user_id = " + args.Add(f.AssigneeID)}
		if f.Status != "" {
			conds = append(conds, "status = "+args.Add(string(f.Status)))
		}
		if p.After != "" {
			conds = append(conds, "task_id > "+args.Add(p.After))
		}
		limit := args.Limit(p.Size) // before the return reads args
		return "SELECT " + taskColumns + " FROM (SELECT task_id FROM task_assignees" + pgstore.Where(conds...) +
			" ORDER BY task_id" + limit + ") a JOIN tasks t ON t.id = a.task_id ORDER BY a.task_id", args
	}
	var conds []string
	if f.RequestID != "" {
		conds = append(conds, "t.request_id = "+args.Add(f.RequestID))
	}
	if f.AccessReviewID != "" {
		conds = append(conds, "t.access_review_id = "+args.Add(f.AccessReviewID))
	}
	if f.AssigneeID != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.user_id = "+args.Add(f.AssigneeID)+")")
	}
	if f.Status != "" {
		conds = append(conds, "t.status = "+args.Add(string(f.Status)))
	}
	if p.After != "" {
		conds = append(conds, "t.id > "+args.Add(p.After))
	}
	limit := args.Limit(p.Size) // before the return reads args
	return "SELECT " + taskColumns + " FROM tasks t" + pgstore.Where(conds...) + " ORDER BY t.id" + limit, args
}

func (t *tx) LockTask(ctx context.Context, id string) (domain.Task, error) {
	return pgstore.One(ctx, t.q, "lock task "+id, scanTask, "SELECT "+taskColumns+" FROM tasks t WHERE t.id = $1 FOR UPDATE", id)
}

// CreateTask inserts the task and its assignee rows in one statement; a taken id or key
// inserts nothing and reports store.ErrConflict.
func (t *tx) CreateTask(ctx context.Context, task domain.Task) error {
	op := "create task " + task.ID
	var stepIndex *int
	if task.RequestID != "" {
		stepIndex = &task.StepIndex
	}
	return pgstore.InsertCounted(ctx, t.q, op, `
		WITH t AS (
			INSERT INTO tasks (id, type, request_id, step_index, standalone_key, policy_id, policy_version, step_name,
				assignee, assignee_ids, approval, min_approvals, action, decision, decided_by, justification, status,
				requester_id, target_user_id, history, create_time, update_time, version,
				due_time, escalate_time, escalation_user_ids, escalation_note, access_review_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
				$24, $25, $26, $27, $28)
			ON CONFLICT DO NOTHING
			RETURNING id, status, assignee_ids
		), a AS (
			INSERT INTO task_assignees (user_id, task_id, status)
			SELECT DISTINCT u, t.id, t.status FROM t, unnest(t.assignee_ids) AS u
		)
		SELECT count(*) FROM t`,
		task.ID, task.Type, pgstore.NullIfEmpty(task.RequestID), stepIndex, pgstore.NullIfEmpty(task.Key), task.PolicyID, task.PolicyVersion, task.StepName,
		assigneeOf(task), pgstore.OrEmpty(task.AssigneeIDs), task.Approval, task.MinApprovals, task.Action, task.Decision, task.DecidedBy, task.Justification, task.Status,
		task.RequesterID, task.TargetUserID, historyOf(task), task.CreateTime, task.UpdateTime, task.Version,
		pgstore.NullTime(task.DueTime), pgstore.NullTime(task.EscalateTime), pgstore.OrEmpty(task.EscalationUserIDs), task.EscalationNote,
		task.AccessReviewID)
}

// UpdateTask writes what a task's life changes (assignees, decision, status, history),
// version-checked, and brings its assignee rows in line, in one statement.
func (t *tx) UpdateTask(ctx context.Context, task domain.Task) error {
	op := "update task " + task.ID
	return pgstore.UpdateCounted(ctx, t.q, op, "tasks", task.ID, `
		WITH t AS (
			UPDATE tasks SET assignee_ids = $2, decision = $3, decided_by = $4, justification = $5, status = $6,
				history = $7, update_time = $8, version = $9
			WHERE id = $1 AND version = $9 - 1
			RETURNING id
		), d AS (
			DELETE FROM task_assignees WHERE task_id IN (SELECT id FROM t) AND NOT (user_id = ANY ($2))
		), a AS (
			INSERT INTO task_assignees (user_id, task_id, status)
			SELECT DISTINCT u, t.id, $6 FROM t, unnest($2::text[]) AS u
			ON CONFLICT (user_id, task_id) DO UPDATE SET status = EXCLUDED.status
		)
		SELECT count(*) FROM t`,
		task.ID, pgstore.OrEmpty(task.AssigneeIDs), task.Decision, task.DecidedBy, task.Justification, task.Status,
		historyOf(task), task.UpdateTime, task.Version)
}
