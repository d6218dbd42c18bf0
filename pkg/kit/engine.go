package kit

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/pkg/timer"
)

// Store is what the kit asks of every service's store: readiness and release (a service's
// store.Store has them through storekit.Shell).
type Store interface {
	Ping(context.Context) error
	Close()
}

// Engines are a service's two store engines behind its store interface S: the memory
// engine (no PostgreSQL URL: nothing survives a restart) and PostgreSQL (migrated when
// opened), with the schema the binary's migrate command applies. A service declares them
// once, beside its name; [Define] and [Open] assemble the service on them.
type Engines[S Store] struct {
	name     string
	memory   func() S
	postgres func(context.Context, string) (S, error)
	schema   pgstore.Schema
}

// NewEngines are the engines of the service name ("grantflow-task"): memory makes the
// memory engine (memory.New), postgres opens PostgreSQL (postgres.Open), whose schema is
// schema (postgres.Schema). Both must make an S (the store packages assert it); one that
// does not panics here, when the service's package is initialized.
func NewEngines[S Store, M, P any](name string, memory func() M, postgres func(context.Context, string) (P, error), schema pgstore.Schema) Engines[S] {
	mustBe[S, M]()
	mustBe[S, P]()
	return Engines[S]{
		name:   name,
		memory: func() S { return any(memory()).(S) },
		postgres: func(ctx context.Context, url string) (S, error) {
			st, err := postgres(ctx, url)
			if err != nil {
				var none S
				return none, err
			}
			return any(st).(S), nil
		},
		schema: schema,
	}
}

// mustBe panics unless a T is an S.
func mustBe[S, T any]() {
	if s, t := reflect.TypeFor[S](), reflect.TypeFor[T](); !t.AssignableTo(s) {
		panic(fmt.Sprintf("kit: %v is not a %v", t, s))
	}
}

// Migrate applies the service's PostgreSQL migrations to the database at postgresURL
// (Service.Migrate).
func (e Engines[S]) Migrate(ctx context.Context, postgresURL string) error {
	return pgstore.Migrate(ctx, e.schema.Options(postgresURL))
}

// open is the engine postgresURL chooses: PostgreSQL (migrated) when it is set, else the
// memory engine, with the warning that nothing survives a restart.
func (e Engines[S]) open(ctx context.Context, log *slog.Logger, postgresURL string) (S, error) {
	if postgresURL == "" {
		log.Warn(Short(e.name) + ": memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		return e.memory(), nil
	}
	st, err := e.postgres(ctx, postgresURL)
	if err != nil {
		return st, fmt.Errorf("%s store: %w", Short(e.name), err)
	}
	return st, nil
}

// Settings are the options every service's constructor takes (its Options embed them):
// both ways to run set them from the environment (Env.Settings); tests set their own.
type Settings struct {
	// Logger receives the service's logs; nil: slog.Default().
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// Clock is the time of the service's timers (NewTimers) and of what they record;
	// default the system's. Tests move their own.
	Clock timer.Clock
	// TimerPoll is how often the service looks for due timers (default 1 s).
	TimerPoll time.Duration
	// WatchRetention is how long a service's watch change log keeps a change
	// (GRANTFLOW_WATCH_RETENTION; 0: DefaultWatchRetention). See Parts.PruneWatch.
	WatchRetention time.Duration
}

// DefaultWatchRetention is the watch change logs' retention when none is set: a week
// covers a client offline over a weekend and more, and keeps the logs at a week of writes.
const DefaultWatchRetention = 7 * 24 * time.Hour

// PruneWatch adds to the service's Loops the pruning of its watch change log (WatchRequest's,
// WatchTasks'): at start and then hourly, the changes older than the settings'
// WatchRetention by now are deleted, in batches (storekit.Pruner); prune is the store's
// PruneChanges. A watch resumed from a pruned position is refused (watch.ResumeTooOld).
func (p *Parts[S]) PruneWatch(now func() time.Time, prune storekit.PruneFunc) {
	pr := storekit.Pruner{Name: "watch changes", Prune: prune, Now: now, Retention: p.set.WatchRetention, Log: p.Log}
	if pr.Retention <= 0 {
		pr.Retention = DefaultWatchRetention
	}
	p.Base.watchPruner = &pr
	p.Base.Loops = append(p.Base.Loops, pr.Run)
}

// Parts are what a constructor builds its service from: the open store, the logger, and
// the Base its module embeds, whose Store is set. The constructor sets the Base's Internal
// methods and Loops; NewTimers gives it timers, Relay its relays.
type Parts[S Store] struct {
	Store S
	Log   *slog.Logger
	Base  *Base
	set   Settings
}

// On are the parts of a service on st, a store already open (a test's).
func (e Engines[S]) On(st S, set Settings) *Parts[S] {
	set.Logger = Logger(set.Logger)
	return &Parts[S]{Store: st, Log: set.Logger, Base: &Base{Store: st, name: e.name}, set: set}
}

// Relay gives the service the relays of its outbox: one per target with a sink, in the
// order given (outbox.NewRelays); a target without a sink keeps its events in the outbox.
func (p *Parts[S]) Relay(targets ...outbox.Target) error {
	st, ok := any(p.Store).(outbox.Store)
	if !ok {
		return fmt.Errorf("%s: its store has no outbox to relay", p.Base.name)
	}
	rs, err := outbox.NewRelays(p.Base.name, st, p.Log, targets...)
	if err != nil {
		return err
	}
	p.Base.Relays = rs
	return nil
}

// Open is a service's constructor around build: it opens the store on the engine
// set.PostgresURL chooses and builds the service on its parts; when build fails, it
// closes the store and returns no service.
func Open[S Store, M any](ctx context.Context, e Engines[S], set Settings, build func(*Parts[S]) (M, error)) (M, error) {
	var none M
	st, err := e.open(ctx, Logger(set.Logger), set.PostgresURL)
	if err != nil {
		return none, err
	}
	m, err := build(e.On(st, set))
	if err != nil {
		st.Close()
		return none, err
	}
	return m, nil
}

// Define is a service as the kit runs it: named and migrated by its engines, assembled by
// its constructor build from the options options makes of the environment (Assemble).
func Define[S Store, O any, M Module](e Engines[S], options func(env *Env, d *Deps) O, build func(context.Context, O) (M, error)) Service {
	return Service{Name: e.name, New: Assemble(options, build), Migrate: e.Migrate}
}

// Logger is log, or slog.Default() when nil.
func Logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}
