package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// requestColumns are read from requests aliased r.
const requestColumns = `r.id, COALESCE(r.client_id, ''), r.body_hash, r.type, r.requester_id, r.target_user_id,
	r.app_id, r.permission, r.previous_permission, r.new_app, r.reason, r.status, r.stage, r.failure_reason,
	r.policy_id, r.policy_version, r.policy_level, r.workflow, r.skip_manager_steps, r.step_index,
	r.step_opened, r.applying, r.task_ids, r.target_manager_id, r.app_owner_ids, r.assignee_ids,
	r.create_time, r.update_time, r.version, r.access_duration_ns, r.expire_time, r.origin_expiry`

// The JSON columns' shapes, the schema's own: a change of the domain's JSON tags does not
// change what is stored.
type (
	assigneeJSON struct {
		Kind       string   `json:"kind"`
		CustomRole string   `json:"customRole,omitempty"`
		GroupIDs   []string `json:"groupIds,omitempty"`
		UserIDs    []string `json:"userIds,omitempty"`
	}
	stepJSON struct {
		Name         string       `json:"name"`
		Assignee     assigneeJSON `json:"assignee"`
		Approval     string       `json:"approval,omitempty"`
		MinApprovals int          `json:"minApprovals,omitempty"`
		DueAfterNs   int64        `json:"dueAfterNs,omitempty"`
		Escalation   *escJSON     `json:"escalation,omitempty"`
	}
	escJSON struct {
		AfterNs int64    `json:"afterNs"`
		To      string   `json:"to"`
		UserIDs []string `json:"userIds,omitempty"`
	}
	workflowJSON struct {
		ReviewSteps         []stepJSON `json:"reviewSteps"`
		ActionStep          stepJSON   `json:"actionStep"`
		MaxAccessDurationNs int64      `json:"maxAccessDurationNs,omitempty"`
	}
	permissionJSON struct {
		Name       string `json:"name"`
		Privileged bool   `json:"privileged,omitempty"`
	}
	newAppJSON struct {
		Name        string           `json:"name"`
		OwnerIDs    []string         `json:"ownerIds,omitempty"`
		Permissions []permissionJSON `json:"permissions,omitempty"`
	}
)

func stepOf(s domain.Step) stepJSON {
	a := s.Assignee
	return stepJSON{
		Name:         s.Name,
		Assignee:     assigneeJSON{Kind: a.Kind, CustomRole: a.CustomRole, GroupIDs: a.GroupIDs, UserIDs: a.UserIDs},
		Approval:     s.Approval,
		MinApprovals: s.MinApprovals,
		DueAfterNs:   int64(s.DueAfter),
		Escalation:   escOf(s.Escalation),
	}
}

func escOf(e *domain.Escalation) *escJSON {
	if e == nil {
		return nil
	}
	return &escJSON{AfterNs: int64(e.After), To: e.To, UserIDs: e.UserIDs}
}

func (s stepJSON) domain() domain.Step {
	a := s.Assignee
	out := domain.Step{
		Name:         s.Name,
		Assignee:     domain.Assignee{Kind: a.Kind, CustomRole: a.CustomRole, GroupIDs: a.GroupIDs, UserIDs: a.UserIDs},
		Approval:     s.Approval,
		MinApprovals: s.MinApprovals,
		DueAfter:     time.Duration(s.DueAfterNs),
	}
	if e := s.Escalation; e != nil {
		out.Escalation = &domain.Escalation{After: time.Duration(e.AfterNs), To: e.To, UserIDs: e.UserIDs}
	}
	return out
}

func workflowOf(w domain.Workflow) workflowJSON {
	out := workflowJSON{ReviewSteps: make([]stepJSON, len(w.ReviewSteps)), ActionStep: stepOf(w.ActionStep), MaxAccessDurationNs: int64(w.MaxAccessDuration)}
	for i, s := range w.ReviewSteps {
		out.ReviewSteps[i] = stepOf(s)
	}
	return out
}

func (w workflowJSON) domain() domain.Workflow {
	var out domain.Workflow
	for _, s := range w.ReviewSteps {
		out.ReviewSteps = append(out.ReviewSteps, s.domain())
	}
	out.ActionStep = w.ActionStep.domain()
	out.MaxAccessDuration = time.Duration(w.MaxAccessDurationNs)
	return out
}

// newAppOf is the new_app column: NULL when the request adds no app.
func newAppOf(n *domain.NewApp) *newAppJSON {
	if n == nil {
		return nil
	}
	out := &newAppJSON{Name: n.Name, OwnerIDs: n.OwnerIDs}
	for _, p := range n.Permissions {
		out.Permissions = append(out.Permissions, permissionJSON(p))
	}
	return out
}

func (n *newAppJSON) domain() *domain.NewApp {
	if n == nil {
		return nil
	}
	out := &domain.NewApp{Name: n.Name, OwnerIDs: n.OwnerIDs}
	for _, p := range n.Permissions {
		out.Permissions = append(out.Permissions, domain.Permission(p))
	}
	return out
}

func scanRequest(row pgx.CollectableRow) (domain.Request, error) {
	var (
		r      domain.Request
		newApp *newAppJSON
		wf     workflowJSON
		durNs  int64
	)
	err := row.Scan(&r.ID, &r.ClientID, &r.BodyHash, &r.Type, &r.RequesterID, &r.TargetUserID,
		&r.AppID, &r.Permission, &r.PreviousPermission, &newApp, &r.Reason, &r.Status, &r.Stage, &r.FailureReason,
		&r.PolicyID, &r.PolicyVersion, &r.PolicyLevel, &wf, &r.SkipManagerSteps, &r.StepIndex,
		&r.StepOpened, &r.Applying, &r.TaskIDs, &r.TargetManagerID, &r.AppOwnerIDs, &r.AssigneeIDs,
		&r.CreateTime, &r.UpdateTime, &r.Version, &durNs, pgstore.ZeroIfNull(&r.ExpireTime), &r.OriginExpiry)
	r.NewApp, r.Workflow, r.AccessDuration = newApp.domain(), wf.domain(), time.Duration(durNs)
	return r, err
}

func (r reader) GetRequest(ctx context.Context, id string) (domain.Request, error) {
	return pgstore.One(ctx, r.q, "get request "+id, scanRequest, "SELECT "+requestColumns+" FROM requests r WHERE r.id = $1", id)
}

func (r reader) GetRequestByClientID(ctx context.Context, clientID string) (domain.Request, error) {
	return pgstore.One(ctx, r.q, "get request by client id", scanRequest,
		"SELECT "+requestColumns+" FROM requests r WHERE r.client_id = $1", clientID)
}

// ListRequests reads the requests the filter selects, newest first (see listQuery).
func (r reader) ListRequests(ctx context.Context, f store.Filter, p store.Page) ([]domain.Request, error) {
	sql, args := listQuery(f, p)
	return pgstore.All(ctx, r.q, "list requests", scanRequest, sql, args...)
}

// listQuery builds ListRequests' statement from the filters present, ids descending, in
// one of two shapes:
//
//   - by viewer (a user's request log): the page of request ids comes first, from
//     request_viewers' (user_id, request_id DESC) index with the LIMIT inside, the other
//     filters checked on the columns the index includes, and only those requests are then
//     read by primary key. A page costs one page of rows, plus the index entries of the
//     user's that the filters drop; the planner has no other table to go through, so it
//     cannot choose to walk all requests newest first looking for the user's (which it
//     would, with a LIMIT, when it misjudges how few of the user's requests pass a filter);
//   - no viewer: requests in id order descending, through the index of a filter's column
//     ((status, id), (requester_id, id), (target_user_id, id) or (app_id, id)) or the
//     primary key.
func listQuery(f store.Filter, p store.Page) (string, []any) {
	var args pgstore.Args
	// The filters apply to request_viewers v, or without a viewer to requests r.
	t, id := "r.", "r.id"
	var conds []string
	if f.ViewerID != "" {
		t, id = "v.", "v.request_id"
		conds = append(conds, "v.user_id = "+args.Add(f.ViewerID))
	}
	if p.Before != "" {
		conds = append(conds, id+" < "+args.Add(p.Before))
	}
	for _, c := range []struct{ col, val string }{
		{"status", string(f.Status)},
		{"type", string(f.Type)},
		{"requester_id", f.RequesterID},
		{"target_user_id", f.TargetUserID},
		{"app_id", f.AppID},
	} {
		if c.val != "" {
			conds = append(conds, t+c.col+" = "+args.Add(c.val))
		}
	}
	limit, where := args.Limit(p.Size), pgstore.Where(conds...)
	if f.ViewerID != "" {
		return "SELECT " + requestColumns + " FROM (SELECT v.request_id FROM request_viewers v" + where +
			" ORDER BY v.request_id DESC" + limit + ") v JOIN requests r ON r.id = v.request_id ORDER BY v.request_id DESC", args
	}
	return "SELECT " + requestColumns + " FROM requests r" + where + " ORDER BY r.id DESC" + limit, args
}

func (t *tx) LockRequest(ctx context.Context, id string) (domain.Request, error) {
	return pgstore.One(ctx, t.q, "lock request "+id, scanRequest,
		"SELECT "+requestColumns+" FROM requests r WHERE r.id = $1 FOR UPDATE", id)
}

// CreateRequest inserts the request and its viewer rows (with the filter columns) in one
// statement; a taken id or
// client id inserts nothing and reports store.ErrConflict. A concurrent creator of the same
// id or client id makes this one wait for its end first; the transaction stays usable.
func (t *tx) CreateRequest(ctx context.Context, r domain.Request) error {
	op := "create request " + r.ID
	return pgstore.InsertCounted(ctx, t.q, op, `
		WITH r AS (
			INSERT INTO requests (id, client_id, body_hash, type, requester_id, target_user_id, app_id, permission,
				previous_permission, new_app, reason, status, stage, failure_reason, policy_id, policy_version,
				policy_level, workflow, skip_manager_steps, step_index, step_opened, applying, task_ids,
				target_manager_id, app_owner_ids, assignee_ids, create_time, update_time, version,
				access_duration_ns, expire_time, origin_expiry)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
				$21, $22, $23, $24, $25, $26, $27, $28, $29, $31, $32, $33)
			ON CONFLICT DO NOTHING
			RETURNING id, status, type, requester_id, target_user_id, app_id
		), v AS (
			INSERT INTO request_viewers (user_id, request_id, status, type, requester_id, target_user_id, app_id)
			SELECT u, r.id, r.status, r.type, r.requester_id, r.target_user_id, r.app_id FROM r, unnest($30::text[]) AS u
		), h AS (
			INSERT INTO request_changes (request_id, version, snapshot, at) SELECT r.id, $29, $34, $28 FROM r
		)
		SELECT count(*) FROM r`,
		r.ID, pgstore.NullIfEmpty(r.ClientID), r.BodyHash, r.Type, r.RequesterID, r.TargetUserID, r.AppID, r.Permission,
		r.PreviousPermission, newAppOf(r.NewApp), r.Reason, r.Status, r.Stage, r.FailureReason, r.PolicyID, r.PolicyVersion,
		r.PolicyLevel, workflowOf(r.Workflow), r.SkipManagerSteps, r.StepIndex, r.StepOpened, r.Applying, pgstore.OrEmpty(r.TaskIDs),
		r.TargetManagerID, pgstore.OrEmpty(r.AppOwnerIDs), pgstore.OrEmpty(r.AssigneeIDs), r.CreateTime, r.UpdateTime, r.Version,
		r.ViewerIDs(), int64(r.AccessDuration), pgstore.NullTime(r.ExpireTime), r.OriginExpiry, snapshotOf(r))
}

// UpdateRequest writes every field but the id, client id and body hash (fixed at submit),
// version-checked, and brings the viewer rows in line with r.ViewerIDs and the new filter
// columns, in one statement (a viewer row whose columns did not change is not rewritten).
func (t *tx) UpdateRequest(ctx context.Context, r domain.Request) error {
	op := "update request " + r.ID
	return pgstore.UpdateCounted(ctx, t.q, op, "requests", r.ID, `
		WITH r AS (
			UPDATE requests SET type = $2, requester_id = $3, target_user_id = $4, app_id = $5, permission = $6,
				previous_permission = $7, new_app = $8, reason = $9, status = $10, stage = $11, failure_reason = $12,
				policy_id = $13, policy_version = $14, policy_level = $15, workflow = $16, skip_manager_steps = $17,
				step_index = $18, step_opened = $19, applying = $20, task_ids = $21, target_manager_id = $22,
				app_owner_ids = $23, assignee_ids = $24, create_time = $25, update_time = $26, version = $27,
				access_duration_ns = $29, expire_time = $30, origin_expiry = $31
			WHERE id = $1 AND version = $27 - 1
			RETURNING id, status, type, requester_id, target_user_id, app_id
		), d AS (
			DELETE FROM request_viewers WHERE request_id IN (SELECT id FROM r) AND NOT (user_id = ANY ($28::text[]))
		), v AS (
			INSERT INTO request_viewers AS v (user_id, request_id, status, type, requester_id, target_user_id, app_id)
			SELECT u, r.id, r.status, r.type, r.requester_id, r.target_user_id, r.app_id FROM r, unnest($28::text[]) AS u
			ON CONFLICT (user_id, request_id) DO UPDATE
			SET status = EXCLUDED.status, type = EXCLUDED.type, requester_id = EXCLUDED.requester_id,
				target_user_id = EXCLUDED.target_user_id, app_id = EXCLUDED.app_id
			WHERE (v.status, v.type, v.requester_id, v.target_user_id, v.app_id) IS DISTINCT FROM
				(EXCLUDED.status, EXCLUDED.type, EXCLUDED.requester_id, EXCLUDED.target_user_id, EXCLUDED.app_id)
		), h AS (
			INSERT INTO request_changes (request_id, version, snapshot, at) SELECT r.id, $27, $32, $26 FROM r
		)
		SELECT count(*) FROM r`,
		r.ID, r.Type, r.RequesterID, r.TargetUserID, r.AppID, r.Permission,
		r.PreviousPermission, newAppOf(r.NewApp), r.Reason, r.Status, r.Stage, r.FailureReason,
		r.PolicyID, r.PolicyVersion, r.PolicyLevel, workflowOf(r.Workflow), r.SkipManagerSteps,
		r.StepIndex, r.StepOpened, r.Applying, pgstore.OrEmpty(r.TaskIDs), r.TargetManagerID,
		pgstore.OrEmpty(r.AppOwnerIDs), pgstore.OrEmpty(r.AssigneeIDs), r.CreateTime, r.UpdateTime, r.Version,
		r.ViewerIDs(), int64(r.AccessDuration), pgstore.NullTime(r.ExpireTime), r.OriginExpiry, snapshotOf(r))
}

// snapshotOf is r as a row of request_changes keeps it (without the submit's body hash).
func snapshotOf(r domain.Request) []byte {
	r.BodyHash = ""
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("request store: encode request %s: %v", r.ID, err)) // plain data: cannot fail
	}
	return b
}

// Changes reads request_changes: the snapshots after afterVersion, oldest first.
func (r reader) Changes(ctx context.Context, id string, afterVersion int64, limit int) ([]domain.Request, error) {
	return pgstore.All(ctx, r.q, "changes of request "+id, func(row pgx.CollectableRow) (domain.Request, error) {
		var (
			raw []byte
			out domain.Request
		)
		if err := row.Scan(&raw); err != nil {
			return out, err
		}
		return out, json.Unmarshal(raw, &out)
	}, "SELECT snapshot FROM request_changes WHERE request_id = $1 AND version > $2 ORDER BY version LIMIT $3",
		id, afterVersion, limit)
}

// PruneChanges deletes up to limit changes recorded before before, oldest first, in one
// statement (by request_changes_at_idx).
func (s *Store) PruneChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	return pgstore.Deleted(ctx, s.q, "prune request changes", `
		DELETE FROM request_changes WHERE (request_id, version) IN (
			SELECT request_id, version FROM request_changes WHERE at < $1 ORDER BY at LIMIT $2)`,
		before, limit)
}
