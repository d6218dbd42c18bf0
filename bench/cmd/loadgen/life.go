package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// lifeResult is what one run of lifecycles measured (loadgen life -json).
type lifeResult struct {
	Mode        string  `json:"mode"`
	Label       string  `json:"label,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"` // closed loop: workers
	Rate        float64 `json:"rate,omitempty"`        // open loop: lifecycles started per second
	WarmupS     float64 `json:"warmupSeconds"`
	DurationS   float64 `json:"durationSeconds"`
	// Lifecycles: PerSec is the lifecycles that reached DONE inside the window, per second;
	// the latencies are those of the lifecycles that started inside it (submit to DONE seen).
	Lifecycles Stat `json:"lifecycles"`
	// Completed counts the lifecycles done inside the window; Total every lifecycle done in
	// the run (warm-up and drain included), Failed those that failed anywhere in the run,
	// Skipped the open-loop starts dropped because MaxInFlight were running.
	Completed int                       `json:"completed"`
	Total     int                       `json:"total"`
	Failed    int                       `json:"failed"`
	Skipped   int                       `json:"skipped,omitempty"`
	Calls     map[string]Stat           `json:"calls"`
	Polls     float64                   `json:"pollsPerLifecycle"`
	Errors    map[string]map[string]int `json:"errors,omitempty"`
	DB        *dbDelta                  `json:"db,omitempty"`
	// RPCs: the gRPC calls the services served during the run (from their logs, -logs),
	// per lifecycle, by "service/method"; client polls included.
	RPCs map[string]float64 `json:"rpcsPerLifecycle,omitempty"`
	// CPU: CPU milliseconds per lifecycle by process over the whole run (-pids), with
	// PostgreSQL (see cpuWatch) and "loadgen" itself.
	CPU map[string]float64 `json:"cpuMsPerLifecycle,omitempty"`
	// MachineBusy: the share of the machine's CPU time (all cores) that was not idle
	// during the measurement window, in percent.
	MachineBusy float64 `json:"machineBusyPercent,omitempty"`
}

type lifeRunner struct {
	api       api
	seed      *seedFile
	rec       *recorder
	next      atomic.Int64
	watch     bool
	pollMin   time.Duration
	pollMax   time.Duration
	timeout   time.Duration
	failed    atomic.Int64
	polls     atomic.Int64
	mu        sync.Mutex
	ends      []time.Duration // completion times of the lifecycles that reached DONE
	starts    []sample        // the lifecycles themselves (start, duration, ok)
	exhausted atomic.Bool
}

var errExhausted = errors.New("every (requester, app) pair of the seed is used: seed a bigger organization")

func cmdLife(args []string) error {
	fs := flag.NewFlagSet("life", flag.ExitOnError)
	mode := fs.String("mode", "rest", "rest (through the gateway) or grpc (straight to the request and task services)")
	restURL := fs.String("rest", "http://127.0.0.1:8080", "gateway base URL")
	requestAddr := fs.String("request", "127.0.0.1:9093", "request service gRPC address")
	taskAddr := fs.String("task", "127.0.0.1:9094", "task service gRPC address")
	seedPath := fs.String("seed", "seed.json", "the organization (loadgen seed); its pair cursor is advanced")
	concurrency := fs.Int("concurrency", 32, "closed loop: lifecycles in flight (ignored with -rate)")
	rate := fs.Float64("rate", 0, "open loop: start this many lifecycles per second, whatever their latency (0: closed loop)")
	maxInFlight := fs.Int("max-in-flight", 2000, "open loop: starts beyond this many running lifecycles are skipped (and counted)")
	warmup := fs.Duration("warmup", 5*time.Second, "time before the measurement window (not counted)")
	duration := fs.Duration("duration", 20*time.Second, "measurement window")
	watch := fs.Bool("watch", true, "wait for the next task on TaskService.WatchTasks (REST: GET /v1/tasks:watch) and for DONE on RequestService.WatchRequest (REST: GET /v1/requests/{id}:watch); false: poll ListTasks and GetRequest")
	pollMin := fs.Duration("poll-min", 10*time.Millisecond, "first wait before polling for the next task or DONE")
	pollMax := fs.Duration("poll-max", 500*time.Millisecond, "longest wait between two polls (the wait doubles after each poll)")
	timeout := fs.Duration("timeout", 60*time.Second, "a lifecycle not DONE after this long fails")
	pgURL := fs.String("pg", "", "PostgreSQL URL of the services' database: report commits and rows per lifecycle (optional)")
	label := fs.String("label", "", "a name for this run in the output")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file")
	quiet := fs.Duration("quiesce", 60*time.Second, "with -pg: wait up to this long for every outbox to drain before and after the run")
	pidDir := fs.String("pids", "", "make up's pid folder (.run/pids): report CPU per lifecycle by process (optional)")
	logDir := fs.String("logs", "", "the services' log folder (make up: .run/logs): count the gRPC calls they served per lifecycle (optional)")
	_ = fs.Parse(args)

	seed, err := loadSeed(*seedPath)
	if err != nil {
		return err
	}
	var a api
	switch *mode {
	case "rest":
		a = newREST(*restURL, max(*concurrency, 64))
	case "grpc":
		g, err := newGRPC(*requestAddr, *taskAddr)
		if err != nil {
			return err
		}
		a = g
	default:
		return fmt.Errorf("life: -mode %q: want rest or grpc", *mode)
	}
	defer a.Close()

	var db *dbWatch
	if *pgURL != "" {
		if db, err = openDBWatch(*pgURL); err != nil {
			return err
		}
		defer db.Close()
		if err := db.quiesce(*quiet); err != nil {
			fmt.Fprintln(os.Stderr, "warning:", err)
		}
		if err := db.snapshot(); err != nil {
			return err
		}
	}

	var mark logMark
	if *logDir != "" {
		if mark, err = markLogs(*logDir); err != nil {
			return err
		}
	}
	var cpu *cpuWatch
	if *pidDir != "" {
		cpu = &cpuWatch{pidDir: *pidDir}
		if db != nil {
			cpu.pgProcs = db.pgProcs
		}
		cpu.start()
	}
	r := &lifeRunner{api: a, seed: seed, pollMin: *pollMin, pollMax: *pollMax, timeout: *timeout, watch: *watch}
	r.next.Store(seed.Next)
	base := time.Now()
	r.rec = newRecorder(base)
	windowEnd := *warmup + *duration
	stopStarting, stop := context.WithTimeout(context.Background(), windowEnd)
	defer stop()

	var busy float64
	busyDone := make(chan struct{})
	go func() { // the machine's CPU use over the window
		defer close(busyDone)
		time.Sleep(time.Until(base.Add(*warmup)))
		t0, i0, err := machineCPU()
		if err != nil {
			return
		}
		time.Sleep(time.Until(base.Add(windowEnd)))
		if t1, i1, err := machineCPU(); err == nil && t1 > t0 {
			busy = 100 * (1 - (i1-i0)/(t1-t0))
		}
	}()
	var wg sync.WaitGroup
	skipped := 0
	if *rate > 0 {
		interval := time.Duration(float64(time.Second) / *rate)
		var inFlight atomic.Int64
		next := base
		for stopStarting.Err() == nil && !r.exhausted.Load() {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				select {
				case <-stopStarting.Done():
				case <-time.After(d):
				}
				if stopStarting.Err() != nil {
					break
				}
			}
			if inFlight.Load() >= int64(*maxInFlight) {
				skipped++
				continue
			}
			inFlight.Add(1)
			wg.Go(func() {
				defer inFlight.Add(-1)
				r.one()
			})
		}
	} else {
		for range *concurrency {
			wg.Go(func() {
				for stopStarting.Err() == nil && !r.exhausted.Load() {
					if !r.one() {
						time.Sleep(50 * time.Millisecond) // a failing system is not spun on
					}
				}
			})
		}
	}
	wg.Wait() // in-flight lifecycles finish (or time out): the next run starts on a quiet system
	<-busyDone
	seed.Next = r.next.Load()
	if err := seed.save(); err != nil {
		return err
	}

	res := &lifeResult{Mode: *mode, Label: *label, WarmupS: warmup.Seconds(), DurationS: duration.Seconds(),
		Calls: map[string]Stat{}, Errors: r.rec.errs, Skipped: skipped, Failed: int(r.failed.Load()), MachineBusy: busy}
	if *rate > 0 {
		res.Rate = *rate
	} else {
		res.Concurrency = *concurrency
	}
	for name, samples := range r.rec.calls {
		res.Calls[name] = summarize(samples, *warmup, windowEnd)
	}
	res.Lifecycles = summarize(r.starts, *warmup, windowEnd)
	for _, e := range r.ends {
		if e >= *warmup && e < windowEnd {
			res.Completed++
		}
	}
	res.Total = len(r.ends)
	res.Lifecycles.PerSec = float64(res.Completed) / duration.Seconds()
	if res.Total > 0 {
		res.Polls = float64(r.polls.Load()) / float64(res.Total+res.Failed)
	}
	if db != nil {
		if err := db.quiesce(*quiet); err != nil {
			fmt.Fprintln(os.Stderr, "warning:", err)
		}
	}
	if cpu != nil { // after the outboxes drained: the asynchronous work is part of the cost
		res.CPU = cpu.delta(res.Total)
	}
	if db != nil {
		if res.DB, err = db.delta(res.Total); err != nil {
			return err
		}
	}
	var calls map[string]int
	if mark != nil {
		if calls, err = mark.countCalls(); err != nil {
			return err
		}
		res.RPCs = map[string]float64{}
		for n, c := range calls {
			res.RPCs[n] = float64(c) / float64(max(res.Total, 1))
		}
	}
	printLife(res)
	if calls != nil {
		printCalls(os.Stdout, calls, res.Total)
	}
	if r.exhausted.Load() {
		return errExhausted
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// timed runs f as the call name and records it.
func (r *lifeRunner) timed(name string, f func() error) error {
	t0 := time.Now()
	err := f()
	r.rec.add(name, t0, time.Since(t0), err)
	return err
}

// one runs one lifecycle and reports whether it reached DONE.
func (r *lifeRunner) one() bool {
	k := r.next.Add(1) - 1
	if k >= r.seed.pairs() {
		r.exhausted.Store(true)
		return false
	}
	t0 := time.Now()
	err := r.lifecycle(k)
	end := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, sample{start: t0.Sub(r.rec.base), dur: end.Sub(t0), ok: err == nil})
	if err != nil {
		r.failed.Add(1)
		r.rec.add("lifecycle", t0, end.Sub(t0), err)
		return false
	}
	r.ends = append(r.ends, end.Sub(r.rec.base))
	return true
}

// lifecycle: the requester submits GRANT_ACCESS (system default policy: manager review,
// app owner review, app owner action); the manager approves; the owner approves, then
// completes the action task; the request is DONE (asynchronously: polled).
func (r *lifeRunner) lifecycle(k int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	if r.watch {
		return r.watchedLifecycle(ctx, k)
	}
	req, mgr, owner, sub, err := r.submit(ctx, k)
	if err != nil {
		return err
	}
	// The manager's review task opens inline with the submit: its id is in the answer.
	var mt string
	if len(sub.TaskIDs) > 0 {
		mt = sub.TaskIDs[0]
	} else {
		t, err := r.waitTask(ctx, "wait-manager-task", mgr.Key, sub.ID, "REVIEW", 0)
		if err != nil {
			return err
		}
		mt = t
	}
	if err := r.timed("approve", func() error { return r.api.Approve(ctx, mgr.Key, mt) }); err != nil {
		return fmt.Errorf("manager approves: %w", err)
	}
	ot, err := r.waitTask(ctx, "wait-owner-task", owner.Key, sub.ID, "REVIEW", 1)
	if err != nil {
		return err
	}
	if err := r.timed("approve", func() error { return r.api.Approve(ctx, owner.Key, ot) }); err != nil {
		return fmt.Errorf("owner approves: %w", err)
	}
	at, err := r.waitTask(ctx, "wait-action-task", owner.Key, sub.ID, "ACTION", 2)
	if err != nil {
		return err
	}
	if err := r.timed("complete", func() error { return r.api.Complete(ctx, owner.Key, at) }); err != nil {
		return fmt.Errorf("owner completes: %w", err)
	}
	return r.waitDone(ctx, req.Key, sub.ID)
}

// watchedLifecycle is lifecycle without polling: before the manager's approval the owner
// opens a watch of their inbox (TaskService.WatchTasks, from now, narrowed to the request)
// and reads it for their review task, then for the action task; after completing it, the
// requester watches the request (RequestService.WatchRequest) from there until DONE. Two
// streaming calls. The inbox watch is in place (its first message, the cursor, arrived)
// before the approval whose effect it waits for, so it misses nothing; the request watch
// opens after the call whose effect it waits for, and loses nothing by it: it starts from the
// last version its caller knew.
func (r *lifeRunner) watchedLifecycle(ctx context.Context, k int64) error {
	req, mgr, owner, sub, err := r.submit(ctx, k)
	if err != nil {
		return err
	}
	if len(sub.TaskIDs) != 1 {
		return fmt.Errorf("submit %s answered %d tasks, want the manager's", sub.ID, len(sub.TaskIDs))
	}
	w, t0, err := r.openInbox(ctx, "wait-owner-task", owner.Key, sub.ID)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := r.timed("approve", func() error { return r.api.Approve(ctx, mgr.Key, sub.TaskIDs[0]) }); err != nil {
		return fmt.Errorf("manager approves: %w", err)
	}
	ot, err := r.inboxFor(w, t0, "wait-owner-task", sub.ID, "REVIEW", 1)
	if err != nil {
		return err
	}
	if err := r.timed("approve", func() error { return r.api.Approve(ctx, owner.Key, ot) }); err != nil {
		return fmt.Errorf("owner approves: %w", err)
	}
	at, err := r.inboxFor(w, time.Now(), "wait-action-task", sub.ID, "ACTION", 2)
	if err != nil {
		return err
	}
	w.Close()
	if err := r.timed("complete", func() error { return r.api.Complete(ctx, owner.Key, at) }); err != nil {
		return fmt.Errorf("owner completes: %w", err)
	}
	done, err := r.openWatch(ctx, "wait-done", req.Key, sub.ID, sub.Version)
	if err != nil {
		return err
	}
	defer done.Close()
	_, err = r.watchFor(done, "wait-done", sub.ID, func(g request) bool { return g.Status == "DONE" })
	return err
}

// submit submits lifecycle k's request: pair k of the seed (requester, app); it returns the
// requester, their manager, the app's owner and the answer.
func (r *lifeRunner) submit(ctx context.Context, k int64) (req, mgr, owner person, sub request, err error) {
	s := r.seed
	req = s.Requesters[k%int64(len(s.Requesters))]
	app := s.Apps[(k/int64(len(s.Requesters)))%int64(len(s.Apps))]
	mgr, owner = s.Managers[req.Manager], s.Owners[app.Owner]
	err = r.timed("submit", func() (err error) {
		sub, err = r.api.Submit(ctx, req.Key, app.ID, s.Permission)
		return err
	})
	if err != nil {
		err = fmt.Errorf("submit: %w", err)
	}
	return req, mgr, owner, sub, err
}

// backoff sleeps before the next poll: pollMin, doubling up to pollMax. Polls are load
// the harness adds (the API has no push); doubling keeps them to a handful per wait even
// when the engine is saturated and a step takes seconds to open.
func (r *lifeRunner) backoff(ctx context.Context, d *time.Duration) error {
	if *d == 0 {
		*d = r.pollMin
	} else {
		*d = min(*d*2, r.pollMax)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*d):
		return nil
	}
}

// waitTask polls the caller's pending tasks of the request until the one of the step
// opens; the wait (from the call before it) is recorded as what.
func (r *lifeRunner) waitTask(ctx context.Context, what, key, requestID, typ string, step int) (string, error) {
	t0 := time.Now()
	var d time.Duration
	for {
		if err := r.backoff(ctx, &d); err != nil {
			r.rec.add(what, t0, time.Since(t0), err)
			return "", fmt.Errorf("%s: step %d of %s never opened: %w", what, step, requestID, err)
		}
		var tasks []task
		r.polls.Add(1)
		if err := r.timed("list-tasks", func() (err error) {
			tasks, err = r.api.PendingTasks(ctx, key, requestID)
			return err
		}); err != nil {
			if ctx.Err() != nil {
				return "", fmt.Errorf("%s: %w", what, err)
			}
			continue
		}
		for _, t := range tasks {
			if t.Type == typ && t.StepIndex == step {
				r.rec.add(what, t0, time.Since(t0), nil)
				return t.ID, nil
			}
		}
	}
}

// waitDone polls the request until it is DONE (any other closed state fails).
func (r *lifeRunner) waitDone(ctx context.Context, key, id string) error {
	t0 := time.Now()
	var d time.Duration
	for {
		if err := r.backoff(ctx, &d); err != nil {
			r.rec.add("wait-done", t0, time.Since(t0), err)
			return fmt.Errorf("request %s never DONE: %w", id, err)
		}
		var got request
		r.polls.Add(1)
		if err := r.timed("get-request", func() (err error) {
			got, err = r.api.GetRequest(ctx, key, id)
			return err
		}); err != nil {
			if ctx.Err() != nil {
				return err
			}
			continue
		}
		switch got.Status {
		case "DONE":
			r.rec.add("wait-done", t0, time.Since(t0), nil)
			return nil
		case "IN_PROGRESS":
		default:
			err := fmt.Errorf("request %s closed %s", id, got.Status)
			r.rec.add("wait-done", t0, time.Since(t0), err)
			return err
		}
	}
}

func printLife(res *lifeResult) {
	how := fmt.Sprintf("closed loop, %d in flight", res.Concurrency)
	if res.Rate > 0 {
		how = fmt.Sprintf("open loop, %.1f lifecycles started per second", res.Rate)
	}
	fmt.Printf("\n== lifecycles over %s (%s%s): window %.0fs after %.0fs of warm-up\n", res.Mode, how,
		map[bool]string{true: ", " + res.Label, false: ""}[res.Label != ""], res.DurationS, res.WarmupS)
	l := res.Lifecycles
	fmt.Printf("  lifecycles DONE in the window: %d = %.1f per second; failed in the run: %d; skipped: %d\n", res.Completed, l.PerSec, res.Failed, res.Skipped)
	fmt.Printf("  lifecycle latency (submit to DONE seen): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms; %.1f polls each; machine CPU busy %.0f%% in the window\n", l.P50, l.P95, l.P99, res.Polls, res.MachineBusy)
	printStats(os.Stdout, res.Calls)
	if len(res.Errors) > 0 {
		fmt.Println("  errors:")
		names := make([]string, 0, len(res.Errors))
		for n := range res.Errors {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for msg, c := range res.Errors[n] {
				fmt.Printf("    %s x%d: %s\n", n, c, msg)
			}
		}
	}
	if res.DB != nil {
		res.DB.print(os.Stdout)
	}
	printCPU(os.Stdout, res.CPU, 0)
}
