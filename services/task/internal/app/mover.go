package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Ingest handles the events other services send the task service: identity's
// user.updated events that give a user another manager (the mover effect). Delivery is at
// least once: each event id is applied once. An error makes the sender deliver the batch
// again; otherwise every event counts as accepted.
func (s *Service) Ingest(ctx context.Context, evs []*eventsv1.Event) (int, error) {
	if _, err := internalCaller(ctx); err != nil {
		return 0, err
	}
	for _, ev := range evs {
		ctx := events.WithTrace(ctx, ev)
		u := ev.GetUserChanged()
		if ev.GetAction() != "user.updated" || u == nil || u.GetPreviousManagerId() == "" || !slices.Contains(u.GetChanged(), "manager_id") {
			s.log.DebugContext(ctx, "task: event ignored", "action", ev.GetAction(), "event", ev.GetId())
			continue
		}
		if err := s.onManagerChanged(ctx, ev, u); err != nil {
			return 0, fmt.Errorf("event %s (%s): %w", ev.GetId(), ev.GetAction(), err)
		}
	}
	return len(evs), nil
}

// move is one pending manager review that follows its user to the new manager.
type move struct {
	task domain.Task
	to   []string
	note string
}

// onManagerChanged applies a manager change: every pending review task of a MANAGER step
// that the previous manager holds because of the user (the request's target, or its
// requester when it has none) goes to the user's manager as the assignee rules resolve it
// now (the requester and the target left out, the admins as the fallback), with a history
// entry naming the change; and the new manager gets one standalone task to review the
// user's accesses. Everything commits in one transaction with the event's processed mark,
// so a redelivered event changes nothing.
func (s *Service) onManagerChanged(ctx context.Context, ev *eventsv1.Event, u *eventsv1.UserChanged) error {
	user, prev, next := u.GetUserId(), u.GetPreviousManagerId(), u.GetManagerId()
	who := u.GetDisplayName()
	if who == "" {
		who = user
	}
	change := fmt.Sprintf("the manager of %s changed from %s to %s", who, prev, orNobody(next))

	// Read and resolve outside the transaction (identity is a call away); the transaction
	// checks again that each task is still pending with the previous manager.
	var moves []move
	for after := ""; ; {
		page, err := s.store.ListTasks(ctx, store.Filter{AssigneeID: prev, Status: domain.Pending}, store.Page{Size: 500, After: after})
		if err != nil {
			return err
		}
		for _, t := range page {
			if !t.MovesWithManager(user, prev) {
				continue
			}
			res, err := s.identity.ResolveAssignees(ctx, &identityv1.ResolveAssigneesRequest{
				Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}, TargetUserId: user,
				ExcludeUserIds: requestParties(t),
			})
			if err != nil {
				return err
			}
			moves = append(moves, move{task: t, to: res.GetUserIds(), note: change + ": " + res.GetExplanation()})
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	reviewer, reviewNote, err := s.accessReviewer(ctx, user, next)
	if err != nil {
		return err
	}

	return s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		if isNew, err := tx.MarkProcessed(ctx, ev.GetId()); err != nil || !isNew {
			return err
		}
		for _, m := range moves {
			if err := s.moveTask(ctx, tx, m, prev); err != nil {
				return err
			}
		}
		if len(reviewer) == 0 {
			return nil
		}
		now := s.now()
		note := change + ": " + reviewNote
		t := domain.Task{
			ID: newID(), Type: domain.Standalone, Key: "manager-change/" + ev.GetId(),
			Assignee:    domain.Assignee{Kind: "USERS", UserIDs: slices.Clone(reviewer)},
			AssigneeIDs: slices.Clone(reviewer), Approval: domain.Any, Status: domain.Pending,
			Action:     fmt.Sprintf("Review the accesses of %s (your report since %s)", who, now.Format("2006-01-02")),
			History:    []domain.HistoryEntry{{Time: now, ActorID: domain.SystemActor, Event: domain.EventCreated, Note: note}},
			CreateTime: now, UpdateTime: now, Version: 1,
		}
		if err := tx.CreateTask(ctx, t); err != nil {
			return err
		}
		data := taskEvent(t)
		data.Note = note
		return s.emit(ctx, tx, ActionCreated, t, domain.SystemActor, data)
	})
}

// moveTask reassigns one task of a move in tx, if it is still pending with prev.
func (s *Service) moveTask(ctx context.Context, tx store.Tx, m move, prev string) error {
	if _, err := tx.LockStep(ctx, m.task.RequestID, m.task.StepIndex); err != nil {
		return err
	}
	t, err := tx.LockTask(ctx, m.task.ID)
	if err != nil {
		return err
	}
	if !t.IsAssignee(prev) || t.Status != domain.Pending {
		return nil // decided or moved meanwhile
	}
	// One person, one decision per step: nobody who holds or decided another task of the
	// step (ALL, QUORUM) is added.
	never := requestParties(t)
	siblings, err := tx.StepTasks(ctx, t.RequestID, t.StepIndex)
	if err != nil {
		return err
	}
	for _, o := range siblings {
		if o.ID != t.ID {
			never = append(never, o.AssigneeIDs...)
			never = append(never, o.DecidedBy)
		}
	}
	ids := t.ReplaceAssignee(prev, m.to, never)
	if len(ids) == 0 {
		s.log.WarnContext(ctx, "task: manager change leaves a task with nobody; left with the previous manager", "task", t.ID)
		return nil
	}
	before := slices.Clone(t.AssigneeIDs)
	if err := t.Reassign(ids, domain.SystemActor, m.note, s.now()); err != nil {
		return err
	}
	if err := tx.UpdateTask(ctx, t); err != nil {
		return err
	}
	data := taskEvent(t)
	data.Note, data.PreviousAssigneeIds = m.note, before
	return s.emit(ctx, tx, ActionReassigned, t, domain.SystemActor, data)
}

// accessReviewer is who reviews a moved user's accesses: the new manager while active and
// not the user, else the user's manager as identity resolves it now (the admins as the
// fallback), with the explanation for the task's history.
func (s *Service) accessReviewer(ctx context.Context, user, next string) ([]string, string, error) {
	if next != "" && next != user {
		facts, err := s.identity.GetFacts(ctx, &identityv1.GetFactsRequest{UserIds: []string{next}})
		if err != nil {
			return nil, "", err
		}
		if f, ok := facts.GetUsers()[next]; ok && f.GetStatus() == identityv1.User_ACTIVE {
			return []string{next}, "assigned to the new manager", nil
		}
	}
	if next == "" {
		return nil, "", nil // the user became the General Manager: nobody above
	}
	res, err := s.identity.ResolveAssignees(ctx, &identityv1.ResolveAssigneesRequest{
		Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}, TargetUserId: user, ExcludeUserIds: []string{user},
	})
	if c := status.Code(err); c == codes.InvalidArgument || c == codes.NotFound {
		return nil, "", nil // the user is gone: nothing to review
	}
	if err != nil {
		return nil, "", err
	}
	return res.GetUserIds(), res.GetExplanation(), nil
}

// requestParties are the people who never decide on the task's request.
func requestParties(t domain.Task) []string {
	out := []string{}
	for _, id := range []string{t.RequesterID, t.TargetUserID} {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func orNobody(id string) string {
	if strings.TrimSpace(id) == "" {
		return "nobody"
	}
	return id
}
