package killtest_test

import (
	"context"
	"encoding/base64"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/proctest"
	"github.com/grantflow/grantflow/pkg/testenv"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
)

const (
	kills       = 10
	drainBudget = 30 * time.Second // from the last restart to an empty backlog
	workers     = 6
	shared      = 3   // groups every worker writes
	checkpoints = 100 // GRANTFLOW_AUDIT_CHECKPOINT_EVERY: the walk meets many checkpoints
	// Before each kill the running audit must have stored 1 + rand(maxExtra) events more
	// than it found at its start, so the kills fall at varying points of the delivery.
	maxExtra        = 150
	startTimeout    = 30 * time.Second
	progressTimeout = 30 * time.Second
	// A kill aimed at a write in flight polls pg_stat_activity this often, this long.
	aimEvery   = time.Millisecond
	aimTimeout = 3 * time.Second
	seedEnv    = "GRANTFLOW_KILLTEST_SEED"
	// The test's own database sessions carry this application_name, so that audit's
	// sessions can be told apart in pg_stat_activity.
	testApp = "killtest"
)

func TestMain(m *testing.M) {
	proctest.Main(m,
		goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
	)
}

// TestAuditSurvivesKill9DuringLoad is the reliability issue's crash test: kill -9 the audit
// service ten times during a burst of identity writes; no audit event lost or duplicated,
// each subject's events in commit order, the chain verifies, the backlog drains within 30 s
// of the last restart. Each kill is aimed at random between writes, at a write in flight
// or at its COMMIT. Replay the choices with GRANTFLOW_KILLTEST_SEED=<seed>.
func TestAuditSurvivesKill9DuringLoad(t *testing.T) {
	testenv.Integration(t)
	began := time.Now()
	r := newRig(t)
	built := r.built

	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(seedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, v, err)
		}
	}
	t.Logf("kill points: %s=%d", seedEnv, seed)
	rng := mathrand.New(mathrand.NewPCG(seed, seed))

	r.startServers()
	bootstrapEvents := r.committedCount()
	wl := newLoad(t, r.identityClient, r.asAdmin, r.managerID)
	wl.start(workers, shared)
	loadStarted := time.Now()
	ks := r.killDuringLoad(rng, wl)
	lastRestart := ks.lastRestart
	wl.stop()
	if t.Failed() {
		t.FailNow() // a write failed: its worker said why
	}
	loadTime := time.Since(loadStarted)

	// The backlog has drained when identity's outbox for audit is empty: identity removes
	// events only after audit acknowledged them, and audit acknowledges after its commit,
	// so nothing more can arrive (no write runs any more). The checks below then say
	// whether all arrived.
	total := r.committedCount()
	proctest.PollUntil(t, lastRestart.Add(drainBudget), fmt.Sprintf("the backlog to drain within %s of the last restart", drainBudget), func() (bool, string) {
		r.alive()
		p, n := r.pending(), r.auditMax()
		return p == 0, fmt.Sprintf("%d events still in identity's outbox, audit holds %d of %d", p, n, total)
	})
	drain := time.Since(lastRestart)
	if drain > drainBudget {
		t.Errorf("backlog drained %s after the last restart, want within %s", drain, drainBudget)
	}

	ctx := t.Context()
	committed, err := committedEvents(ctx, r.identityDB)
	if err != nil {
		t.Fatal(err)
	}
	logged, err := auditEvents(ctx, r.auditDB)
	if err != nil {
		t.Fatal(err)
	}
	compareLogs(t, committed, logged)
	checkAcknowledgedWrites(t, wl, committed, logged, bootstrapEvents)
	checked := r.verifyChain(int64(len(logged)))

	// A delivery cut off mid-call (not refused at connect) may have committed in audit
	// before the kill: the relay sends the batch again and audit must skip what it has.
	retries := r.identity.Count(func(l string) bool { return strings.Contains(l, "outbox relay: will retry") })
	cutOff := r.identity.Count(func(l string) bool {
		return strings.Contains(l, "outbox relay: will retry") && !strings.Contains(l, "connection refused")
	})
	slices.Sort(ks.recoveries)
	var aims []string
	for kind := range kinds {
		aims = append(aims, fmt.Sprintf("%d %s (%d caught)", ks.aimed[kind], kindNames[kind], ks.hit[kind]))
	}
	t.Logf("figures: %d kills of audit (aimed: %s) during %s of load by %d workers; "+
		"identity acknowledged %d writes (%d more lost a race and left no event) and committed %d events (%d at bootstrap); "+
		"audit holds %d events of %d subjects; "+
		"after each restart audit stored again within %s (median) / %s (max); up to %d events waited in the backlog, %d were committed between a kill and audit storing again; "+
		"identity's relay retried %d times, %d of them after a delivery cut off mid-call; after %d kills identity still held %d events audit had stored (sent again, skipped); "+
		"backlog drained %s after the last restart (budget %s); the chain has %d events and %d checkpoints; binaries built in %s, test took %s",
		kills, strings.Join(aims, ", "), loadTime.Round(time.Millisecond), workers,
		wl.writes.Load(), len(wl.lost), len(committed), bootstrapEvents,
		len(logged), len(bySubject(logged)),
		ks.recoveries[len(ks.recoveries)/2].Round(time.Millisecond), ks.recoveries[len(ks.recoveries)-1].Round(time.Millisecond), ks.maxBacklog, ks.downCommits,
		retries, cutOff, ks.resentKills, ks.resent,
		drain.Round(time.Millisecond), drainBudget, len(logged), checked, built.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	if !t.Failed() {
		t.Log("verdict: no event lost, none stored twice, every subject in commit order, the chain verifies, the backlog drained in time")
	}
}

// rig is the two servers, their databases and the test's clients.
type rig struct {
	t                   *testing.T
	identity, audit     *proctest.Process
	identityDB, auditDB *pgxpool.Pool
	auditURL            string
	identityAddr        string
	auditAddr           string
	adminKey            string
	key                 *domain.Key
	identityClient      identityv1.IdentityServiceClient
	managerID           string
	built               time.Duration
	auditStartedAt      time.Time
}

// newRig builds the binaries, makes a database for each service, migrates them and adds
// the outbox copy to identity's (see ledger_test.go).
func newRig(t *testing.T) *rig {
	t.Helper()
	redisURL := testenv.RedisURL(t)
	identityURL, auditURL := pgtest.NewEmptyDatabase(t), pgtest.NewEmptyDatabase(t)
	began := time.Now()
	bins := proctest.Binaries(t, "services/audit/cmd/audit", "services/identity/cmd/identity")
	r := &rig{t: t, auditURL: auditURL, built: time.Since(began), adminKey: "killtest-admin-" + proctest.RandomHex(16)}
	r.identityAddr, r.auditAddr = proctest.FreeAddr(t), proctest.FreeAddr(t)
	signingSeed := domain.GenerateSeed()
	var err error
	if r.key, err = domain.NewKey(signingSeed); err != nil {
		t.Fatal(err)
	}
	common := proctest.BaseEnv(
		"GRANTFLOW_INTERNAL_SECRET="+proctest.RandomHex(32),
		"GRANTFLOW_REDIS_URL="+redisURL,
		"GRANTFLOW_LOG_LEVEL=warn",
		"GRANTFLOW_IDENTITY_ADDR="+r.identityAddr,
		"GRANTFLOW_AUDIT_ADDR="+r.auditAddr,
	)
	r.identity = proctest.New(t, "identity", bins["identity"], append(slices.Clone(common),
		"GRANTFLOW_GRPC_ADDR="+r.identityAddr,
		"GRANTFLOW_POSTGRES_URL="+identityURL,
		"GRANTFLOW_BOOTSTRAP_ADMIN_KEY="+r.adminKey,
		proctest.SecretsKeyEnv(),
	))
	r.audit = proctest.New(t, "audit", bins["audit"], append(slices.Clone(common),
		"GRANTFLOW_GRPC_ADDR="+r.auditAddr,
		"GRANTFLOW_POSTGRES_URL="+auditURL,
		"GRANTFLOW_AUDIT_SIGNING_KEY="+base64.StdEncoding.EncodeToString(signingSeed),
		"GRANTFLOW_AUDIT_CHECKPOINT_EVERY="+strconv.Itoa(checkpoints),
		"GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL=1s",
	))
	// Schemas first, then the outbox copy, then the servers: the copy sees every event,
	// the bootstrap admin's included.
	r.identity.MustRun("migrate")
	r.audit.MustRun("migrate")
	r.identityDB, r.auditDB = pgtest.Pool(t, identityURL, testApp), pgtest.Pool(t, auditURL, testApp)
	installLedger(t, r.identityDB)
	return r
}

// startServers starts both servers and waits until the bootstrap admin's events are in
// audit: the whole path works before the load begins.
func (r *rig) startServers() {
	t := r.t
	t.Helper()
	r.auditStartedAt = r.audit.Start()
	r.identity.Start()
	r.identityClient = identityv1.NewIdentityServiceClient(dial(t, r.identityAddr))
	proctest.Poll(t, startTimeout, "identity to answer as the bootstrap admin", func() (bool, string) {
		r.alive()
		me, err := r.identityClient.GetMe(r.asAdmin(t.Context()), &identityv1.GetMeRequest{})
		r.managerID = me.GetUser().GetId()
		return err == nil, fmt.Sprint(err)
	})
	proctest.Poll(t, startTimeout, "the bootstrap events to reach audit", func() (bool, string) {
		r.alive()
		c, n := r.committedCount(), r.auditMax()
		return c > 0 && n >= c, fmt.Sprintf("identity committed %d, audit holds %d", c, n)
	})
}

// killStats are the figures of the kills.
type killStats struct {
	lastRestart time.Time
	recoveries  []time.Duration // from a (re)start to the first event that incarnation stored
	maxBacklog  int64           // the most events committed by identity and not yet in audit
	downCommits int64           // events identity committed between a kill and audit storing again
	aimed       [kinds]int      // kills aimed at each moment
	hit         [kinds]int      // of those, kills that caught audit at that moment
	resentKills int             // kills after which identity still held events audit had stored
	resent      int64           // how many such events (sent again, to be skipped)
}

// The moments a kill aims at.
const (
	betweenWrites = iota // as soon as the incarnation has stored its share
	midWrite             // an audit session is in a transaction that has written (COPY done)
	atCommit             // an audit session is running the COMMIT of a write
	kinds
)

var kindNames = [kinds]string{"between writes", "mid-write", "at commit"}

// killDuringLoad kill -9s audit kills times while the load runs, restarting it each time.
// Each incarnation first proves it works (stores new events). Then the test kills it at
// once, or aims at a write in flight or at its COMMIT, chosen at random. Aiming is best
// effort: on a disk whose commits are too quick to be seen, the kill lands anyway after
// aimTimeout.
func (r *rig) killDuringLoad(rng *mathrand.Rand, wl *load) killStats {
	t := r.t
	t.Helper()
	ks := killStats{lastRestart: r.auditStartedAt}
	atKill := int64(-1)
	for k := 1; k <= kills; k++ {
		base, writes := r.auditMax(), wl.writes.Load()
		need := base + 1 + rng.Int64N(maxExtra)
		var recovered time.Time
		proctest.Poll(t, progressTimeout, fmt.Sprintf("audit (start %d) to store events %d..%d during the load", k, base+1, need), func() (bool, string) {
			r.alive()
			n, c := r.auditMax(), r.committedCount()
			if n > base && recovered.IsZero() {
				recovered = time.Now()
				if atKill >= 0 {
					ks.downCommits += c - atKill
				}
			}
			ks.maxBacklog = max(ks.maxBacklog, c-n)
			return n >= need, fmt.Sprintf("audit holds %d, identity committed %d, %d writes acknowledged", n, c, wl.writes.Load())
		})
		ks.recoveries = append(ks.recoveries, recovered.Sub(ks.lastRestart))
		kind := rng.IntN(kinds)
		ks.aimed[kind]++
		if kind == betweenWrites || r.aim(kind) {
			ks.hit[kind]++
		}
		r.audit.Kill9()
		if wl.writes.Load() == writes {
			t.Fatalf("kill %d: no identity write was acknowledged while audit ran: the kill was not during the load", k)
		}
		// Go on only once PostgreSQL has ended the dead process's sessions, so that what it
		// left behind (a rolled back or a completed write) is settled.
		proctest.Poll(t, progressTimeout, "PostgreSQL to end the killed audit's sessions", func() (bool, string) {
			n := r.auditSessions()
			return n == 0, fmt.Sprintf("%d sessions left", n)
		})
		if n := r.storedButPending(); n > 0 {
			ks.resentKills++
			ks.resent += n
		}
		atKill = r.committedCount()
		ks.lastRestart = r.audit.Start()
	}
	return ks
}

// aim polls, for at most aimTimeout, until an audit session is at the moment kind, and
// reports whether it saw it.
func (r *rig) aim(kind int) bool {
	q := "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name <> '" + testApp + "' AND backend_xid IS NOT NULL"
	if kind == atCommit {
		q += " AND state = 'active' AND lower(query) LIKE 'commit%'"
	}
	deadline := time.Now().Add(aimTimeout)
	tick := time.NewTicker(aimEvery)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		r.alive()
		if scalar(r.t, r.auditDB, q) > 0 {
			return true
		}
		<-tick.C
	}
	return false
}

// storedButPending counts the events still in identity's outbox that audit already holds:
// audit committed them, but the reply died with the process, so identity sends them again.
func (r *rig) storedButPending() int64 {
	rows, err := r.identityDB.Query(r.t.Context(), "SELECT event_id FROM identity.outbox WHERE sink = 'audit' ORDER BY seq LIMIT 1000")
	if err != nil {
		r.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		r.t.Fatal(err)
	}
	var n int64
	if err := r.auditDB.QueryRow(r.t.Context(), "SELECT count(*) FROM audit.events WHERE id = ANY($1)", ids).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// verifyChain checks the chain through the API (the full walk, meeting every checkpoint)
// and here, with the public key of the seed the test gave audit. It returns the number of
// checkpoints met.
func (r *rig) verifyChain(events int64) int {
	t := r.t
	t.Helper()
	ctx := t.Context()
	rep, err := auditv1.NewAuditServiceClient(dial(t, r.auditAddr)).VerifyAuditEvents(r.asAdmin(ctx), &auditv1.VerifyAuditEventsRequest{})
	if err != nil {
		t.Fatalf("VerifyAuditEvents: %v", err)
	}
	if !rep.GetOk() || rep.GetVerifiedThrough() != events || rep.GetCheckpointsChecked() < 1 {
		t.Errorf("VerifyAuditEvents = ok %v through %d of %d, %d checkpoints, first bad %d: %s",
			rep.GetOk(), rep.GetVerifiedThrough(), events, rep.GetCheckpointsChecked(), rep.GetFirstBadSeq(), rep.GetProblem())
	}
	st, err := postgres.Open(ctx, r.auditURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local, err := domain.VerifySource(ctx, st, r.key.Public(), false)
	if err != nil {
		t.Fatal(err)
	}
	// The checkpointer keeps running: it may have signed one more since the API's walk.
	if !local.OK || local.VerifiedThrough != events || local.CheckpointsChecked < int(rep.GetCheckpointsChecked()) {
		t.Errorf("the walk with the configured key: %+v; the API's: %d checkpoints", local, rep.GetCheckpointsChecked())
	}
	return int(rep.GetCheckpointsChecked())
}

func (r *rig) asAdmin(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+r.adminKey)
}

func (r *rig) alive() {
	r.identity.CheckAlive()
	r.audit.CheckAlive()
}

// auditMax is the newest seq in the audit log (seqs have no gaps).
func (r *rig) auditMax() int64 {
	return scalar(r.t, r.auditDB, "SELECT coalesce(max(seq), 0) FROM audit.events")
}

// committedCount is how many events identity has committed for audit.
func (r *rig) committedCount() int64 {
	return scalar(r.t, r.identityDB, "SELECT count(*) FROM killtest.committed WHERE sink = 'audit'")
}

// pending is how many events identity's outbox still holds for audit.
func (r *rig) pending() int64 {
	return scalar(r.t, r.identityDB, "SELECT count(*) FROM identity.outbox WHERE sink = 'audit'")
}

// auditSessions counts the audit process's sessions on its database.
func (r *rig) auditSessions() int64 {
	return scalar(r.t, r.auditDB, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name <> '"+testApp+"'")
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
