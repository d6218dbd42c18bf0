package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/resolver"
	"github.com/grantflow/grantflow/services/policy/internal/store"
	"github.com/grantflow/grantflow/services/policy/internal/store/memory"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func wf(name string) domain.Workflow {
	return domain.Workflow{ActionStep: domain.Step{Name: name, Assignee: domain.Assignee{Kind: domain.Agent}}}
}

// create stores a policy with draft version 1.
func create(t *testing.T, s store.Store, id string, rt domain.RequestType, scope domain.Scope, level domain.Level) {
	t.Helper()
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		p := domain.Policy{ID: id, Name: id, RequestType: rt, Scope: scope, Level: level, LatestVersion: 1, CreateTime: now, UpdateTime: now}
		if err := tx.CreatePolicy(ctx, p); err != nil {
			return err
		}
		return tx.CreateVersion(ctx, domain.Version{PolicyID: id, Version: 1, State: domain.StateDraft, Workflow: wf("v1"), CreateTime: now, UpdateTime: now, Revision: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// activateNext adds version n+1 and activates it, retiring n, as the service does.
func activateNext(ctx context.Context, s store.Store, id string) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPolicy(ctx, id)
		if err != nil {
			return err
		}
		n = p.LatestVersion
		if p.ActiveVersion == n { // version n is active already: add n+1
			n++
			if err := tx.CreateVersion(ctx, domain.Version{PolicyID: id, Version: n, State: domain.StateDraft, Workflow: wf(fmt.Sprintf("v%d", n)), CreateTime: now, UpdateTime: now, Revision: 1}); err != nil {
				return err
			}
		}
		if p.ActiveVersion != 0 {
			if err := tx.RetireVersion(ctx, id, p.ActiveVersion, now); err != nil {
				return err
			}
		}
		if err := tx.ActivateVersion(ctx, id, n, now); err != nil {
			return err
		}
		p.ActiveVersion, p.LatestVersion = n, n
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		_, err = tx.BumpGeneration(ctx, id)
		return err
	})
	return n, err
}

func TestTheIndexFollowsTheGeneration(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	create(t, s, "sys", domain.GrantAccess, domain.Scope{}, domain.LevelSystemDefault)
	create(t, s, "figma", domain.GrantAccess, domain.Scope{AppID: "figma"}, domain.LevelApp)
	if _, err := activateNext(ctx, s, "sys"); err != nil {
		t.Fatal(err)
	}
	r := resolver.New(s, nil)
	m, err := r.Resolve(ctx, domain.GrantAccess, "figma", "admin")
	if err != nil || m.Active.Policy.ID != "sys" {
		t.Fatalf("before: %+v %v", m, err)
	}
	for want := int64(1); want <= 3; want++ {
		if _, err := activateNext(ctx, s, "figma"); err != nil {
			t.Fatal(err)
		}
		m, err := r.Resolve(ctx, domain.GrantAccess, "figma", "admin")
		if err != nil || m.Active.Policy.ID != "figma" || m.Active.Version.Version != want || m.Active.Version.Workflow.ActionStep.Name != fmt.Sprintf("v%d", want) {
			t.Fatalf("after activating v%d: %+v %v", want, m, err)
		}
	}
	if rebuilds, deltas := r.Stats(); rebuilds != 1 || deltas != 3 {
		t.Fatalf("rebuilds %d, deltas %d; want one build and three incremental updates", rebuilds, deltas)
	}
	// Nothing changed: no reload at all.
	if _, err := r.Resolve(ctx, domain.GrantAccess, "figma", ""); err != nil {
		t.Fatal(err)
	}
	if rebuilds, deltas := r.Stats(); rebuilds != 1 || deltas != 3 {
		t.Fatalf("an unchanged generation reloaded: rebuilds %d, deltas %d", rebuilds, deltas)
	}
}

func TestALongGapRebuilds(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	create(t, s, "sys", domain.GrantAccess, domain.Scope{}, domain.LevelSystemDefault)
	r := resolver.New(s, nil)
	if _, err := activateNext(ctx, s, "sys"); err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for range resolver.MaxDelta + 1 {
		if _, err := activateNext(ctx, s, "sys"); err != nil {
			t.Fatal(err)
		}
	}
	m, err := r.Resolve(ctx, domain.GrantAccess, "", "")
	if err != nil || m.Active.Version.Version != resolver.MaxDelta+2 {
		t.Fatalf("after the gap: %+v %v", m.Active.Version, err)
	}
	if rebuilds, deltas := r.Stats(); rebuilds != 2 || deltas != 0 {
		t.Fatalf("rebuilds %d, deltas %d", rebuilds, deltas)
	}
}

// TestResolutionNeverGoesBack races resolutions with activations: a resolution that starts
// after an activation committed must see it (or a later one), never an older version.
func TestResolutionNeverGoesBack(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	create(t, s, "sys", domain.GrantAccess, domain.Scope{}, domain.LevelSystemDefault)
	if _, err := activateNext(ctx, s, "sys"); err != nil {
		t.Fatal(err)
	}
	r := resolver.New(s, nil)
	var committed atomic.Int64
	committed.Store(1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := committed.Load()
				m, err := r.Resolve(ctx, domain.GrantAccess, "x", "y")
				if err != nil || m.Active.Version.Version < floor {
					failures.Add(1)
					t.Errorf("resolved %+v (%v) after version %d committed", m.Active.Version.Version, err, floor)
					return
				}
			}
		})
	}
	for range 200 {
		n, err := activateNext(ctx, s, "sys")
		if err != nil {
			t.Fatal(err)
		}
		committed.Store(n)
	}
	close(stop)
	wg.Wait()
}

type failing struct{ resolver.Source }

func (failing) Generation(context.Context) (int64, error) { return 0, errors.New("database down") }

func TestAnUnreadableGenerationIsAnError(t *testing.T) {
	r := resolver.New(failing{memory.New()}, nil)
	if _, err := r.Resolve(t.Context(), domain.GrantAccess, "", ""); err == nil {
		t.Fatal("resolved without knowing the generation")
	}
}
