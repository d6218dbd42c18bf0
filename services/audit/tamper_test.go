package audit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
)

const (
	tamperEvents     = 200
	tamperEvery      = 50 // a checkpoint every 50 events, the last one at the head
	tamperIterations = 1000
	tamperSeed       = 20250601 // GRANTFLOW_TAMPER_SEED overrides it
)

// The tamper kinds.
const (
	changeField = iota
	deleteRow
	swapRows
	insertRow
	rewriteChain
	forgeCheckpoint
	kinds
)

var kindNames = [kinds]string{"change a field", "delete a row", "swap two rows' seqs", "insert a forged row", "rewrite the chain from a seq on", "forge a checkpoint"}

// The columns a field change picks from, each with an SQL expression that surely changes it.
var fieldChanges = []struct{ column, expr string }{
	{"id", "id || '-forged'"},
	{"time", "time + interval '1 microsecond'"},
	{"actor_id", "actor_id || 'x'"},
	{"actor_credential", "actor_credential || 'x'"},
	{"service", "service || 'x'"},
	{"action", "action || 'x'"},
	{"subject", "subject || 'x'"},
	{"request_id", "request_id || 'x'"},
	{"policy_id", "policy_id || 'x'"},
	{"policy_version", "policy_version + 1"},
	{"task_id", "task_id || 'x'"},
	{"trace_id", "trace_id || 'x'"},
	{"data", `convert_to('{"forged":true}', 'UTF8')`},
	{"ingest_time", "ingest_time - interval '1 second'"},
	{"prev_hash", "set_byte(prev_hash, 7, get_byte(prev_hash, 7) # 1)"},
	{"hash", "set_byte(hash, 31, get_byte(hash, 31) # 128)"},
}

// TestTamperingIsCaught is the done-when of the audit issue. On PostgreSQL, as superuser and
// past the append-only triggers (session_replication_role = replica), each iteration applies
// one random tamper to a seeded, checkpointed chain inside a transaction, verifies through
// that same transaction, and rolls back. Every tamper must be reported at the right seq.
func TestTamperingIsCaught(t *testing.T) {
	url := pgtest.NewEmptyDatabase(t)
	h := newHarness(t, harnessOptions{postgresURL: url})
	ctx := context.Background()
	seedTamperChain(t, h)

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SET search_path = "+postgres.Schema.Name); err != nil {
		t.Fatal(err)
	}
	pub := h.svc.PublicKey()
	original := scanAll(t, postgres.NewReader(conn))
	if len(original) != tamperEvents {
		t.Fatalf("%d events seeded", len(original))
	}
	attacker, _ := domain.NewKey(domain.GenerateSeed())

	seed := uint64(tamperSeed)
	if v := os.Getenv("GRANTFLOW_TAMPER_SEED"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("GRANTFLOW_TAMPER_SEED: %v", err)
		}
	}
	t.Logf("tamper test: %d iterations, random seed %d (set GRANTFLOW_TAMPER_SEED to replay another)", tamperIterations, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	var tried, caught [kinds]int
	var h2 domain.Hasher
	for it := range tamperIterations {
		kind := rng.IntN(kinds)
		tried[kind]++
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				t.Fatalf("iteration %d (%s): %s: %v", it, kindNames[kind], q, err)
			}
		}
		exec("SET LOCAL session_replication_role = replica")
		var wantFirstBad, wantBadCP int64
		var what string
		// lastCPBelow is the checkpoint before seq k (0: none); cpFrom the first at or after it.
		lastCPBelow := func(k int64) int64 { return (k - 1) / tamperEvery * tamperEvery }
		cpFrom := func(k int64) int64 { return lastCPBelow(k) + tamperEvery }
		switch kind {
		case changeField:
			k := 1 + rng.Int64N(tamperEvents)
			f := fieldChanges[rng.IntN(len(fieldChanges))]
			exec("UPDATE events SET "+f.column+" = "+f.expr+" WHERE seq = $1", k)
			wantFirstBad, what = k, fmt.Sprintf("%s of event %d", f.column, k)
		case deleteRow:
			k := 1 + rng.Int64N(tamperEvents)
			exec("DELETE FROM events WHERE seq = $1", k)
			wantFirstBad, what = k, fmt.Sprintf("event %d", k)
			if k == tamperEvents { // the tail: only the checkpoint at the head betrays it
				wantFirstBad, wantBadCP = lastCPBelow(k)+1, k
			}
		case swapRows:
			i := 1 + rng.Int64N(tamperEvents-1)
			j := i + 1 + rng.Int64N(tamperEvents-i)
			exec("UPDATE events SET seq = 1000000 WHERE seq = $1", i)
			exec("UPDATE events SET seq = $1 WHERE seq = $2", i, j)
			exec("UPDATE events SET seq = $1 WHERE seq = 1000000", j)
			wantFirstBad, what = i, fmt.Sprintf("events %d and %d", i, j)
		case insertRow:
			k := 1 + rng.Int64N(tamperEvents)
			exec("UPDATE events SET seq = seq + 1000000 WHERE seq >= $1", k)
			exec("UPDATE events SET seq = seq - 1000000 + 1 WHERE seq >= 1000000")
			forged := original[k-1]
			forged.ID, forged.ActorID = fmt.Sprintf("forged-%d", it), "mallory"
			smart := rng.IntN(2) == 0 // chained right to its predecessor, or not
			if smart {
				h2.Seal(&forged, original[k-1].PrevHash)
				// Its own link and hash hold; the event after it (or the checkpoint at it) does not.
				wantFirstBad = k + 1
				if k%tamperEvery == 0 {
					wantFirstBad, wantBadCP = lastCPBelow(k)+1, k
				}
			} else {
				forged.Hash[0] ^= 0xff
				wantFirstBad = k
			}
			exec("INSERT INTO events (seq, id, time, actor_id, actor_credential, service, action, subject, request_id, policy_id, policy_version, task_id, trace_id, data, ingest_time, prev_hash, hash) "+
				"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
				forged.Seq, forged.ID, forged.Time, forged.ActorID, forged.ActorCredential, forged.Service, forged.Action, forged.Subject,
				forged.RequestID, forged.PolicyID, forged.PolicyVersion, forged.TaskID, forged.TraceID, forged.Data, forged.IngestTime, forged.PrevHash[:], forged.Hash[:])
			what = fmt.Sprintf("at %d (chained: %v)", k, smart)
		case rewriteChain:
			k := 1 + rng.Int64N(tamperEvents)
			events := append([]domain.Event(nil), original...)
			events[k-1].ActorID = "mallory"
			prev := events[k-1].PrevHash
			batch := &pgx.Batch{}
			batch.Queue("UPDATE events SET actor_id = 'mallory' WHERE seq = $1", k)
			for i := k - 1; i < tamperEvents; i++ {
				h2.Seal(&events[i], prev)
				prev = events[i].Hash
				batch.Queue("UPDATE events SET prev_hash = $1, hash = $2 WHERE seq = $3", events[i].PrevHash[:], events[i].Hash[:], events[i].Seq)
			}
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			// Consistent from k on: only the next signed checkpoint betrays it.
			wantFirstBad, wantBadCP = lastCPBelow(k)+1, cpFrom(k)
			what = fmt.Sprintf("from %d", k)
		case forgeCheckpoint:
			c := tamperEvery * (1 + rng.Int64N(tamperEvents/tamperEvery))
			forgeries := []struct{ name, q string }{
				{"head_hash", "UPDATE checkpoints SET head_hash = set_byte(head_hash, 0, get_byte(head_hash, 0) # 1) WHERE seq = $1"},
				{"signature", "UPDATE checkpoints SET signature = set_byte(signature, 5, get_byte(signature, 5) # 1) WHERE seq = $1"},
				{"time", "UPDATE checkpoints SET time = time + interval '1 microsecond' WHERE seq = $1"},
				{"key_id", "UPDATE checkpoints SET key_id = '0000000000000000' WHERE seq = $1"},
				{"re-signed by another key", ""},
			}
			f := forgeries[rng.IntN(len(forgeries))]
			if f.q != "" {
				exec(f.q, c)
			} else {
				// The attacker signs a changed head with a key of their own.
				bad := attacker.Sign(c, original[0].Hash, time.Now())
				exec("UPDATE checkpoints SET head_hash = $1, key_id = $2, signature = $3, time = $4 WHERE seq = $5", bad.HeadHash[:], bad.KeyID, bad.Signature, bad.Time, c)
			}
			wantFirstBad, wantBadCP = c-tamperEvery+1, c
			what = fmt.Sprintf("%s of checkpoint %d", f.name, c)
		}
		rep, err := domain.VerifySource(ctx, postgres.NewReader(tx), pub, false)
		if rbErr := tx.Rollback(ctx); rbErr != nil {
			t.Fatal(rbErr)
		}
		if err != nil {
			t.Fatalf("iteration %d (%s %s): verify: %v", it, kindNames[kind], what, err)
		}
		if rep.OK || rep.FirstBadSeq != wantFirstBad || rep.BadCheckpointSeq != wantBadCP || rep.VerifiedThrough != wantFirstBad-1 {
			t.Errorf("iteration %d (%s %s): ok=%v first bad %d, bad checkpoint %d (%s); want first bad %d, bad checkpoint %d",
				it, kindNames[kind], what, rep.OK, rep.FirstBadSeq, rep.BadCheckpointSeq, rep.Problem, wantFirstBad, wantBadCP)
			continue
		}
		caught[kind]++
	}
	total := 0
	for k := range kinds {
		t.Logf("%-32s caught %4d of %4d", kindNames[k], caught[k], tried[k])
		total += caught[k]
	}
	t.Logf("%-32s caught %4d of %4d", "all", total, tamperIterations)

	// Every transaction rolled back: the log is intact and verifies, through the API too.
	rep, err := h.pub.VerifyAuditEvents(h.as("admin"), &auditv1.VerifyAuditEventsRequest{})
	if err != nil || !rep.GetOk() || rep.GetVerifiedThrough() != tamperEvents {
		t.Fatalf("after the tampering: %v %v", rep, err)
	}
}

// seedTamperChain delivers 200 varied events in batches of 10, with a checkpoint every 50.
func seedTamperChain(t *testing.T, h *harness) {
	t.Helper()
	for b := range tamperEvents / 10 {
		var batch []*eventsv1.Event
		for i := range 10 {
			n := b*10 + i + 1
			batch = append(batch, event(fmt.Sprintf("ev-%03d", n), func(e *eventsv1.Event) {
				e.Time = timestamppb.New(t0.Add(time.Duration(n) * time.Second))
				e.ActorId = []string{"uma", "ulf", "admin", "system"}[n%4]
				e.Subject = fmt.Sprintf("requests/r%d", n%9)
				e.RequestId = fmt.Sprintf("r%d", n%9)
				e.PolicyId, e.PolicyVersion = "p1", int64(1+n%3)
				e.TaskId = fmt.Sprintf("t%d", n%5)
				e.Payload = &eventsv1.Event_TaskChanged{TaskChanged: &eventsv1.TaskChanged{
					StepApprovals: int32(n), Note: fmt.Sprintf("event %d", n), AssigneeIds: []string{"x", "y"},
				}}
			}))
		}
		h.mustDeliver(batch...)
		if (b+1)*10%tamperEvery == 0 {
			if made, err := h.svc.Checkpoint(context.Background()); !made || err != nil {
				t.Fatalf("checkpoint after %d events: %v %v", (b+1)*10, made, err)
			}
		}
	}
}

func scanAll(t *testing.T, r domain.Source) []domain.Event {
	t.Helper()
	var out []domain.Event
	if err := r.Scan(context.Background(), 1, func(e *domain.Event) error { out = append(out, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
