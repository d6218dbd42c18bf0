package kit

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/pkg/rediscache"
)

// Module is one assembled service: what its own binary and the all-in-one process run.
type Module interface {
	// Register puts the service's gRPC services on srv. A receiver of events registers
	// grantflow.events.v1.EventSinkService too; the kit routes it (see Set.Register).
	Register(srv grpc.ServiceRegistrar)
	// Run does the background work (outbox relays, timers, checkpoints) until ctx ends,
	// and returns when it stopped.
	Run(ctx context.Context)
	// Ping reports whether the service's store answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close()
}

// Authenticating is a Module that authenticates credentials itself (identity). Every
// other service authenticates its callers by asking identity.
type Authenticating interface {
	Authenticator() auth.Authenticator
}

// Service describes a service to the kit: its name and its one constructor.
type Service struct {
	// Name is the service's name in traces and logs ("grantflow-task"); its short form
	// ("task") names it in addresses (config.Config.Addr) and as an event receiver.
	Name string
	// New assembles the service: it opens the store, dials what it calls through env and
	// builds its relays. Both ways to run call it, with the same env.
	New func(ctx context.Context, env *Env) (Module, error)
	// Migrate applies the service's PostgreSQL migrations (the binary's migrate command).
	Migrate func(ctx context.Context, postgresURL string) error
}

// Short is a service's short name: "grantflow-task" -> "task".
func Short(name string) string { return strings.TrimPrefix(name, "grantflow-") }

// Dialer connects service from to service to ("grantflow-identity" or "identity").
type Dialer func(from, to string) (*grpc.ClientConn, error)

// Env is what a service's constructor gets: the settings, the logger, the Redis cache and
// connections to the other services, the same in both ways to run.
type Env struct {
	// Name is the service being assembled ("grantflow-task").
	Name   string
	Config config.Config
	Log    *slog.Logger
	// Getenv reads settings that are a service's own business (request's agent webhooks).
	Getenv func(string) string

	p    *process.Process
	dial Dialer
	// rounds share the deliveries of the set's services to a record sink (audit,
	// notification), by receiver: see Sink.
	rounds map[string]*outbox.Coalescer
}

// Conn is a connection from this service to service to, with the retry policy the protos
// declare and the caller carried as a signed internal token.
func (e *Env) Conn(to string) (*grpc.ClientConn, error) { return e.dial(e.Name, to) }

// Settings are the settings every constructor takes, from the config: the logger, the
// PostgreSQL URL and the watch logs' retention (the system's clock).
func (e *Env) Settings() Settings {
	return Settings{Logger: e.Log, PostgresURL: e.Config.PostgresURL, WatchRetention: e.Config.WatchRetention}
}

// Sink delivers this service's outbox to receiver's EventSinkService ("audit", "request").
// To a record sink (outbox.RecordSinks: audit, notification), the relays of the set's
// services deliver in shared rounds (outbox.Coalescer): in the all-in-one, one call carries
// the events of every service whose relay came within the window; in a service's own
// binary, alone in its set, its sink is used as is.
func (e *Env) Sink(receiver string) (outbox.Sink, error) {
	conn, err := e.Conn(receiver)
	if err != nil {
		return nil, err
	}
	s := Sink(conn, receiver)
	if c := e.rounds[Short(receiver)]; c != nil {
		return c.Sink(s), nil
	}
	return s, nil
}

// Sink delivers a producer's outbox to the EventSinkService of receiver ("audit",
// "grantflow-request") at conn, a connection made with the kit's client (which carries the
// signed internal token), naming receiver in the metadata (outbox.ReceiverKey).
func Sink(conn grpc.ClientConnInterface, receiver string) outbox.Sink {
	return outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn), Short(receiver))
}

// Identity is identity's internal API as this service calls it.
func (e *Env) Identity() (identityv1.IdentityInternalServiceClient, error) {
	conn, err := e.Conn("identity")
	if err != nil {
		return nil, err
	}
	return identityv1.NewIdentityInternalServiceClient(conn), nil
}

// Cache is the Redis cache under prefix (a cache without a client when Redis is off).
func (e *Env) Cache(prefix string) *rediscache.Cache { return e.p.Cache(prefix) }

// Shared is the all-in-one's dialer: every service answers on the one gRPC server that is
// served on m, the process's in-memory listener, so the calls between its services stay in
// memory (no socket, no system call) and still pass every interceptor and stats handler.
// Each calling service gets one connection of its own (its client spans carry its name).
func Shared(p *process.Process, m *process.InMemory) Dialer {
	return cached(func(string) (string, error) { return process.InMemoryTarget, nil },
		func(from, _ string) (*grpc.ClientConn, error) { return p.DialInMemory(from, m) })
}

// Apart is the distributed dialer: each service at its address in the config
// (GRANTFLOW_<SERVICE>_ADDR).
func Apart(p *process.Process) Dialer {
	return cached(func(to string) (string, error) {
		addr := p.Config.Addr(to)
		if addr == "" {
			return "", fmt.Errorf("no address for service %q", to)
		}
		return addr, nil
	}, p.Dial)
}

// cached keeps one connection per calling service and address: addrOf names the address
// of a service, connect dials it.
func cached(addrOf func(to string) (string, error), connect func(from, addr string) (*grpc.ClientConn, error)) Dialer {
	var mu sync.Mutex
	conns := map[string]*grpc.ClientConn{}
	return func(from, to string) (*grpc.ClientConn, error) {
		addr, err := addrOf(to)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		key := from + "->" + addr
		if c, ok := conns[key]; ok {
			return c, nil
		}
		c, err := connect(from, addr)
		if err != nil {
			return nil, err
		}
		conns[key] = c
		return c, nil
	}
}

// Set is the services one process runs: all of them (the all-in-one) or one (a service's
// binary). They are built in the order given, so a service that others deliver to comes
// first; Run starts their background work in that order, and shutdown stops it in reverse.
type Set struct {
	p       *process.Process
	dial    Dialer
	names   []string
	modules []Module
}

// Build assembles services, each through its one constructor; every store's Close is a
// cleanup of p, so on an error p.Shutdown releases what was opened.
// cfg is the settings every service reads (the process's, in a service's binary).
func Build(ctx context.Context, p *process.Process, cfg config.Config, dial Dialer, services ...Service) (*Set, error) {
	s := &Set{p: p, dial: dial}
	rounds := map[string]*outbox.Coalescer{}
	for _, r := range outbox.RecordSinks {
		rounds[r] = outbox.NewCoalescer(outbox.CoalesceWindow)
	}
	for _, svc := range services {
		env := &Env{Name: svc.Name, Config: cfg, Log: p.Log.With("component", svc.Name), Getenv: os.Getenv, p: p, dial: dial, rounds: rounds}
		m, err := svc.New(ctx, env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", svc.Name, err)
		}
		p.Cleanups.AddFunc(svc.Name+" store", m.Close)
		s.names = append(s.names, svc.Name)
		s.modules = append(s.modules, m)
	}
	return s, nil
}

// Register puts every service on srv. The receivers' EventSinkService registrations are
// collected into one router that serves grantflow.events.v1.EventSinkService once and
// hands each delivery to the receiver its metadata names (outbox.ReceiverKey).
func (s *Set) Register(srv grpc.ServiceRegistrar) {
	r := &router{receivers: map[string]eventsv1.EventSinkServiceServer{}}
	for i, m := range s.modules {
		m.Register(collector{ServiceRegistrar: srv, name: Short(s.names[i]), r: r})
	}
	if len(r.receivers) > 0 {
		eventsv1.RegisterEventSinkServiceServer(srv, r)
	}
}

// ServerAuth authenticates the callers of the set's server, and refuses the methods of the
// services the protos declare internal (InternalMethod) to callers without a signed
// internal token: through identity's own cached
// authenticator when identity is in the set, else by asking identity over gRPC through
// the principal cache identity invalidates (prefix "gf:identity:").
func (s *Set) ServerAuth() (auth.ServerOptions, error) {
	o := auth.ServerOptions{InternalOnly: InternalMethod}
	for _, m := range s.modules {
		if a, ok := m.(Authenticating); ok {
			o.Authenticator = a.Authenticator()
			return o, nil
		}
	}
	conn, err := s.dial(s.names[0], "identity")
	if err != nil {
		return o, err
	}
	o.Authenticator = auth.Cached(auth.Identity(identityv1.NewIdentityInternalServiceClient(conn)), s.p.Cache("gf:identity:"), auth.DefaultPrincipalTTL)
	return o, nil
}

// Run starts every service's background work until ctx ends.
func (s *Set) Run(ctx context.Context) {
	for i, m := range s.modules {
		s.p.Go(ctx, s.names[i]+" background", m.Run)
	}
}

// Ready are the readiness checks of every service's store, by short name.
func (s *Set) Ready() map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	for i, m := range s.modules {
		out[Short(s.names[i])] = m.Ping
	}
	return out
}

// Names are the set's services' names ("grantflow-audit", ...), in the order built.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Module returns the service named name of the set (nil if it is not in it).
func (s *Set) Module(name string) Module {
	for i, n := range s.names {
		if n == name || Short(n) == name {
			return s.modules[i]
		}
	}
	return nil
}
