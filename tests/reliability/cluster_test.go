package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/proctest"
	"github.com/grantflow/grantflow/pkg/testenv"
)

const (
	// testApp is the application_name of the test's own database sessions, so that the
	// services' sessions can be told apart (and terminated) in pg_stat_activity.
	testApp      = "reliability-test"
	startTimeout = 30 * time.Second
	// callTimeout bounds one gRPC call of the test.
	callTimeout = 30 * time.Second
)

// services are the binaries the tests run, in the order they start (make up's order:
// audit first, every other service delivers its events there).
// Review runs too: identity and request deliver to it, so without it their outboxes to it
// would never drain.
var services = []string{"audit", "notification", "identity", "policy", "task", "request", "review"}

// replicated are the services newReplicatedCluster runs several processes of (make up's
// GRANTFLOW_REPLICAS): replica 1 is named after the service, replica k "<service>-k".
var replicated = []string{"request", "task", "audit"}

// cluster is every service as its own process, on one fresh database (each service in its
// own schema, as under make up) and a Redis of the test's own, with the test's clients.
type cluster struct {
	t        *testing.T
	began    time.Time
	dbURL    string
	db       *pgxpool.Pool // the test's own sessions (application_name testApp)
	redis    *redisServer
	procs    map[string]*proctest.Process // by process name (request, request-2, ...)
	addrs    map[string]string            // gRPC address, by process name
	metrics  map[string]string            // GET /metrics address, by process name (replicated clusters only)
	names    []string                     // the process names, in start order
	adminKey string
	signer   *auth.Signer // mints internal caller tokens with the deployment's secret

	identity identityv1.IdentityServiceClient
	policy   policyv1.PolicyServiceClient
	tasks    taskv1.TaskServiceClient
	requests requestv1.RequestServiceClient
	// Internal APIs, called with an internal token of the system.
	identityInternal identityv1.IdentityInternalServiceClient
	taskInternal     taskv1.TaskInternalServiceClient

	org *org
}

// newCluster builds the binaries (once per test binary), makes the database and the Redis,
// migrates and starts every service, and seeds an organization with requesters people and
// apps apps (see seedOrg).
func newCluster(t *testing.T, requesters, apps int) *cluster {
	t.Helper()
	return newReplicatedCluster(t, requesters, apps, 1)
}

// newReplicatedCluster is newCluster with replicas processes of each replicated service,
// behind the same database; every process is given all their addresses (a,b: balanced round
// robin by grpcclient), and the test's clients balance over them too. With replicas > 1 each
// process serves GET /metrics (c.metrics).
func newReplicatedCluster(t *testing.T, requesters, apps, replicas int) *cluster {
	t.Helper()
	testenv.Integration(t)
	began := time.Now()
	c := &cluster{t: t, began: began, procs: map[string]*proctest.Process{}, addrs: map[string]string{},
		metrics: map[string]string{}, adminKey: "reliability-admin-" + proctest.RandomHex(16)}
	c.dbURL = pgtest.NewEmptyDatabase(t) // skips loudly (fails under CI=true) without PostgreSQL
	c.redis = startRedis(t)
	var cmds []string
	for _, name := range services {
		cmds = append(cmds, proctest.ServiceCmd(name))
	}
	bins := proctest.Binaries(t, cmds...) // built once per test binary
	secret := proctest.RandomHex(32)
	var err error
	if c.signer, err = auth.NewSigner([]byte(secret), "reliability-test"); err != nil {
		t.Fatal(err)
	}
	for _, svc := range services {
		for _, name := range instances(svc, replicas) {
			c.names = append(c.names, name)
			c.addrs[name] = proctest.FreeAddr(t)
			if replicas > 1 {
				c.metrics[name] = proctest.FreeAddr(t)
			}
		}
	}
	common := proctest.BaseEnv(
		"GRANTFLOW_POSTGRES_URL="+c.dbURL,
		"GRANTFLOW_REDIS_URL="+c.redis.url,
		"GRANTFLOW_INTERNAL_SECRET="+secret,
		proctest.SecretsKeyEnv(),
		"GRANTFLOW_LOG_LEVEL=warn",
		"GRANTFLOW_SHUTDOWN_TIMEOUT=5s",
		"GRANTFLOW_IDENTITY_ADDR="+c.serviceAddr("identity"),
		"GRANTFLOW_POLICY_ADDR="+c.serviceAddr("policy"),
		"GRANTFLOW_TASK_ADDR="+c.serviceAddr("task"),
		"GRANTFLOW_REQUEST_ADDR="+c.serviceAddr("request"),
		"GRANTFLOW_AUDIT_ADDR="+c.serviceAddr("audit"),
		"GRANTFLOW_NOTIFICATION_ADDR="+c.serviceAddr("notification"),
		"GRANTFLOW_REVIEW_ADDR="+c.serviceAddr("review"),
	)
	for _, name := range c.names {
		env := append(slices.Clone(common), "GRANTFLOW_GRPC_ADDR="+c.addrs[name])
		if name == "identity" {
			env = append(env, "GRANTFLOW_BOOTSTRAP_ADMIN_KEY="+c.adminKey)
		}
		if m := c.metrics[name]; m != "" {
			env = append(env, "GRANTFLOW_METRICS_ADDR="+m)
		}
		c.procs[name] = proctest.New(t, name, bins[serviceOf(name)], env)
	}
	// Each service migrates its own schema: in parallel.
	var wg sync.WaitGroup
	errs := make([]error, len(services))
	for i, name := range services {
		wg.Go(func() { errs[i] = c.procs[name].Run("migrate") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	c.db = pgtest.Pool(t, c.dbURL, testApp)
	for _, name := range c.names {
		c.procs[name].Start()
	}
	user := func(name string) *grpc.ClientConn { return dial(t, c.serviceAddr(name)) }
	internal := func(name string) *grpc.ClientConn {
		return dial(t, c.serviceAddr(name), grpc.WithChainUnaryInterceptor(auth.UnaryClientInterceptor(c.signer)))
	}
	c.identity = identityv1.NewIdentityServiceClient(user("identity"))
	c.policy = policyv1.NewPolicyServiceClient(user("policy"))
	c.tasks = taskv1.NewTaskServiceClient(user("task"))
	c.requests = requestv1.NewRequestServiceClient(user("request"))
	c.identityInternal = identityv1.NewIdentityInternalServiceClient(internal("identity"))
	c.taskInternal = taskv1.NewTaskInternalServiceClient(internal("task"))
	for _, name := range c.names {
		c.waitServing(name)
	}
	c.poll(startTimeout, "identity to answer as the bootstrap admin", func() (bool, string) {
		_, err := c.identity.GetMe(c.as(c.adminKey), &identityv1.GetMeRequest{})
		return err == nil, fmt.Sprint(err)
	})
	c.org = c.seedOrg(requesters, apps)
	t.Logf("cluster: %d processes up on database %s and Redis %s, %d requesters and %d apps seeded, in %s (binaries built in %s)",
		len(c.names), databaseName(c.dbURL), c.redis.addr, requesters, apps, time.Since(began).Round(time.Millisecond), proctest.BuildTime().Round(time.Millisecond))
	return c
}

// instances are the process names of the replicas of svc: svc, svc-2, ... (one unless svc is
// replicated).
func instances(svc string, replicas int) []string {
	out := []string{svc}
	if slices.Contains(replicated, svc) {
		for k := 2; k <= replicas; k++ {
			out = append(out, fmt.Sprintf("%s-%d", svc, k))
		}
	}
	return out
}

// serviceOf is the service a process name runs (request-2: request).
func serviceOf(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// serviceAddr is the address setting of svc: the addresses of all its replicas, a,b.
func (c *cluster) serviceAddr(svc string) string {
	var addrs []string
	for _, name := range c.names {
		if serviceOf(name) == svc {
			addrs = append(addrs, c.addrs[name])
		}
	}
	return strings.Join(addrs, ",")
}

// waitServing waits until the service answers grpc.health.v1 with SERVING.
func (c *cluster) waitServing(name string) {
	c.t.Helper()
	h := healthpb.NewHealthClient(dial(c.t, c.addrs[name]))
	c.poll(startTimeout, name+" to serve", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := h.Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING, fmt.Sprint(res.GetStatus(), err)
	})
}

// alive reports the first process that exited without the test stopping it.
func (c *cluster) alive() error {
	for _, name := range c.names {
		if err := c.procs[name].Exited(); err != nil {
			return err
		}
	}
	if err := c.redis.proc.Exited(); err != nil {
		return err
	}
	return nil
}

// poll waits, on the test's goroutine, until cond holds, failing the test at the deadline
// with cond's last state, or at once when a process died.
func (c *cluster) poll(timeout time.Duration, what string, cond func() (bool, string)) {
	c.t.Helper()
	proctest.Poll(c.t, timeout, what, func() (bool, string) {
		if err := c.alive(); err != nil {
			c.t.Fatal(err)
		}
		return cond()
	})
}

// as is a context for a call with an API key. Every call of the test's clients is bounded
// by callTimeout (see dial).
func (c *cluster) as(key string) context.Context {
	return asCtx(context.Background(), key)
}

// asCtx adds an API key to ctx.
func asCtx(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

// --- the organization ---

// person is a user with an API key.
type person struct {
	name string
	id   string
	key  string
}

// org is the seeded organization:
//
//	gm (GENERAL_MANAGER)
//	├── admin (ADMIN)
//	├── mgr ── requester 0 .. n-1
//	└── owner 0 .. m-1, owner j the only owner of app j (permissions read, write)
//
// No policy is created: GRANT_ACCESS follows the system default (the manager, then the app
// owner, reviews; the owner provisions).
type org struct {
	gm, admin, mgr *person
	requesters     []*person
	owners         []*person
	apps           []string // app ids; owners[j] owns apps[j]
}

// pair is the request of lifecycle i: requester i mod n asks for app i div n, so every
// lifecycle asks for an access nobody else asks for (a second grant of the same app to the
// same person would be refused as already held).
type pair struct {
	requester, owner *person
	app              string
}

func (o *org) pair(i int) pair {
	n := len(o.requesters)
	if i/n >= len(o.apps) {
		panic(fmt.Sprintf("lifecycle %d: the organization has only %d requesters x %d apps", i, n, len(o.apps)))
	}
	return pair{requester: o.requesters[i%n], owner: o.owners[i/n], app: o.apps[i/n]}
}

func (c *cluster) seedOrg(requesters, apps int) *org {
	c.t.Helper()
	o := &org{}
	o.gm = c.onboard("gm", identityv1.Role_GENERAL_MANAGER, "")
	o.admin = c.onboard("admin", identityv1.Role_ADMIN, o.gm.id)
	o.mgr = c.onboard("mgr", identityv1.Role_USER, o.gm.id)
	o.requesters = make([]*person, requesters)
	o.owners = make([]*person, apps)
	o.apps = make([]string, apps)
	// Independent onboardings, a few at a time.
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	fail := func(err error) {
		mu.Lock()
		failures = append(failures, err)
		mu.Unlock()
	}
	for i := range requesters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := c.tryOnboard(fmt.Sprintf("requester%d", i), identityv1.Role_USER, o.mgr.id)
			if err != nil {
				fail(err)
				return
			}
			o.requesters[i] = p
		})
	}
	for j := range apps {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := c.tryOnboard(fmt.Sprintf("owner%d", j), identityv1.Role_USER, o.gm.id)
			if err != nil {
				fail(err)
				return
			}
			o.owners[j] = p
			a, err := c.identity.CreateApp(c.as(c.adminKey), &identityv1.CreateAppRequest{
				Name: fmt.Sprintf("App %d", j), OwnerIds: []string{p.id},
				Permissions: []*identityv1.Permission{{Name: "read"}, {Name: "write"}},
			})
			if err != nil {
				fail(fmt.Errorf("create app %d: %w", j, err))
				return
			}
			o.apps[j] = a.GetId()
		})
	}
	wg.Wait()
	if err := errors.Join(failures...); err != nil {
		c.t.Fatal(err)
	}
	return o
}

func (c *cluster) onboard(name string, role identityv1.Role, managerID string) *person {
	c.t.Helper()
	p, err := c.tryOnboard(name, role, managerID)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *cluster) tryOnboard(name string, role identityv1.Role, managerID string) (*person, error) {
	u, err := c.identity.CreateUser(c.as(c.adminKey), &identityv1.CreateUserRequest{
		Email: name + "@reliability.example", DisplayName: name, Role: role, ManagerId: managerID,
	})
	if err != nil {
		return nil, fmt.Errorf("onboard %s: %w", name, err)
	}
	k, err := c.identity.CreateApiKey(c.as(c.adminKey), &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "reliability"})
	if err != nil {
		return nil, fmt.Errorf("API key for %s: %w", name, err)
	}
	return &person{name: name, id: u.GetId(), key: k.GetSecret()}, nil
}

// --- helpers ---

func databaseName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	return u.Path[1:]
}

// dial returns a client connection to addr whose calls each last at most callTimeout.
// It never retries a call: the tests see every failure as it happened. addr may list several
// replicas (a,b): calls are balanced round robin over them, as grpcclient does.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	bounded := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithChainUnaryInterceptor(bounded)}, opts...)
	if strings.Contains(addr, ",") {
		r := manual.NewBuilderWithScheme("reliability-replicas")
		var state resolver.State
		for _, a := range strings.Split(addr, ",") {
			state.Addresses = append(state.Addresses, resolver.Address{Addr: a})
		}
		r.InitialState(state)
		opts = append(opts, grpc.WithResolvers(r), grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`))
		addr = "reliability-replicas:///" + addr
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
