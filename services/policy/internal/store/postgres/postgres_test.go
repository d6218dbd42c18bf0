package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
	"github.com/grantflow/grantflow/services/policy/internal/store/postgres"
	"github.com/grantflow/grantflow/services/policy/internal/store/storetest"
)

func newStore(t *testing.T) *postgres.Store {
	return postgres.New(pgtest.NewDatabase(t, postgres.Schema.Options("")))
}

// TestContract runs the store contract on fresh databases, then migrates an empty one
// through Open, the production path, twice.
func TestContract(t *testing.T) {
	pgtest.Contract(t, postgres.Schema, postgres.New, postgres.Open, storetest.Cases{})
}

// TestTriggersGuardHistoryAgainstRawSQL writes to the tables directly, as an operator with
// psql might: the database itself refuses to change or delete an active or retired version,
// or to change a policy's scope, whatever the writer.
func TestTriggersGuardHistoryAgainstRawSQL(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Now().UTC()
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		p := domain.Policy{ID: "p1", Name: "P", RequestType: domain.GrantAccess, Scope: domain.Scope{AppID: "figma"}, Level: domain.LevelApp,
			LatestVersion: 3, CreateTime: now, UpdateTime: now, CreateBy: "admin"}
		if err := tx.CreatePolicy(ctx, p); err != nil {
			return err
		}
		for n := int64(1); n <= 3; n++ {
			v := domain.Version{PolicyID: "p1", Version: n, State: domain.StateDraft, CreateTime: now, UpdateTime: now, CreateBy: "admin", Revision: 1,
				Workflow: domain.Workflow{ActionStep: domain.Step{Name: "Act", Assignee: domain.Assignee{Kind: domain.AppOwner}}}}
			if err := tx.CreateVersion(ctx, v); err != nil {
				return err
			}
		}
		if err := tx.ActivateVersion(ctx, "p1", 1, now); err != nil {
			return err
		}
		if err := tx.RetireVersion(ctx, "p1", 1, now); err != nil {
			return err
		}
		return tx.ActivateVersion(ctx, "p1", 2, now) // 1 retired, 2 active, 3 draft
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	refused := []struct{ name, sql string }{
		{"edit the active workflow", `UPDATE policy.policy_versions SET workflow = '{"actionStep":{"name":"x","assignee":{"kind":"AGENT"}}}' WHERE version = 2`},
		{"edit the retired workflow", `UPDATE policy.policy_versions SET workflow = '{}' WHERE version = 1`},
		{"edit every workflow", `UPDATE policy.policy_versions SET workflow = workflow || '{"x":1}'`},
		{"backdate an activation", `UPDATE policy.policy_versions SET activate_time = now() - interval '1 day' WHERE version = 2`},
		{"bring back a retired version", `UPDATE policy.policy_versions SET state = 'ACTIVE', retire_time = NULL WHERE version = 1`},
		{"demote the active version to draft", `UPDATE policy.policy_versions SET state = 'DRAFT' WHERE version = 2`},
		{"renumber the active version", `UPDATE policy.policy_versions SET version = 20 WHERE version = 2`},
		{"bump the active revision", `UPDATE policy.policy_versions SET revision = revision + 1 WHERE version = 2`},
		{"delete the active version", `DELETE FROM policy.policy_versions WHERE version = 2`},
		{"delete the retired version", `DELETE FROM policy.policy_versions WHERE version = 1`},
		{"delete every version", `DELETE FROM policy.policy_versions`},
		{"retire a draft", `UPDATE policy.policy_versions SET state = 'RETIRED', retire_time = now() WHERE version = 3`},
		{"change a policy's scope", `UPDATE policy.policies SET app_id = 'slack' WHERE id = 'p1'`},
		{"change a policy's request type", `UPDATE policy.policies SET request_type = 'REMOVE_ACCESS' WHERE id = 'p1'`},
		{"delete a policy", `DELETE FROM policy.policies WHERE id = 'p1'`},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conn.Exec(ctx, tc.sql)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "GF001" {
				t.Fatalf("%s: err = %v, want the guard's GF001", tc.sql, err)
			}
		})
	}
	// What history allows still works: drafts change and go, the active version retires.
	for _, sql := range []string{
		`UPDATE policy.policy_versions SET workflow = '{"actionStep":{"name":"y","assignee":{"kind":"AGENT"}}}', revision = 2 WHERE version = 3`,
		`UPDATE policy.policy_versions SET update_time = update_time WHERE version = 2`, // no change at all
		`DELETE FROM policy.policy_versions WHERE version = 3`,
		`UPDATE policy.policy_versions SET state = 'RETIRED', retire_time = now() WHERE version = 2`,
		`UPDATE policy.policies SET name = 'Renamed' WHERE id = 'p1'`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	v1, err := s.GetVersion(ctx, "p1", 1)
	if err != nil || v1.State != domain.StateRetired || v1.Workflow.ActionStep.Name != "Act" {
		t.Fatalf("retired version after the attempts: %+v %v", v1, err)
	}
}
