package grpcserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/grpcclient"
	"github.com/grantflow/grantflow/pkg/grpcserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeIdentity answers GetUser with the caller's id, and misbehaves on purpose for some ids.
type fakeIdentity struct {
	identityv1.UnimplementedIdentityServiceServer
	identityv1.UnimplementedIdentityInternalServiceServer
}

func (fakeIdentity) GetUser(ctx context.Context, r *identityv1.GetUserRequest) (*identityv1.User, error) {
	p, _ := auth.FromContext(ctx)
	switch r.GetId() {
	case "panic":
		panic("boom: secret detail")
	case "missing":
		return nil, errs.NotFound("user", r.GetId())
	case "db":
		return nil, errorString("pq: connection to 10.0.0.7 refused")
	}
	return &identityv1.User{Id: p.UserID, DisplayName: p.CredentialID}, nil
}

func (fakeIdentity) GetFacts(ctx context.Context, _ *identityv1.GetFactsRequest) (*identityv1.GetFactsResponse, error) {
	return &identityv1.GetFactsResponse{}, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

const secret = "0123456789abcdef0123456789abcdef"

func start(t *testing.T, log *slog.Logger) (*grpc.ClientConn, *auth.Signer) {
	t.Helper()
	return startWith(t, log, nil)
}

// startWith is start with a limiter of failed authentications.
func startWith(t *testing.T, log *slog.Logger, failures *auth.FailureLimiter) (*grpc.ClientConn, *auth.Signer) {
	t.Helper()
	signer, err := auth.NewSigner([]byte(secret), "test")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]auth.Principal{"gf_good": {UserID: "u1", Role: identityv1.Role_USER, CredentialKind: identityv1.CredentialKind_API_KEY, CredentialID: "k1"}}
	srv, _, err := grpcserver.New(grpcserver.Options{
		Logger: log,
		Auth: auth.ServerOptions{
			Signer: signer,
			Authenticator: auth.AuthenticatorFunc(func(_ context.Context, c string) (auth.Principal, error) {
				if p, ok := keys[c]; ok {
					return p, nil
				}
				return auth.Principal{}, errs.Unauthenticated("unknown credential")
			}),
			InternalOnly: auth.MethodSet("/" + identityv1.IdentityInternalService_ServiceDesc.ServiceName + "/"),
			Failures:     failures,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	identityv1.RegisterIdentityServiceServer(srv, fakeIdentity{})
	identityv1.RegisterIdentityInternalServiceServer(srv, fakeIdentity{})
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///buf",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); srv.Stop() })
	return conn, signer
}

func withKey(key string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
}

func TestChain(t *testing.T) {
	var logs bytes.Buffer
	conn, signer := start(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	c := identityv1.NewIdentityServiceClient(conn)

	t.Run("no credentials is UNAUTHENTICATED", func(t *testing.T) {
		_, err := c.GetUser(context.Background(), &identityv1.GetUserRequest{Id: "x"})
		wantCode(t, err, codes.Unauthenticated)
	})
	t.Run("unknown key is UNAUTHENTICATED", func(t *testing.T) {
		_, err := c.GetUser(withKey("gf_bad"), &identityv1.GetUserRequest{Id: "x"})
		wantCode(t, err, codes.Unauthenticated)
	})
	t.Run("forged internal token is UNAUTHENTICATED", func(t *testing.T) {
		other, _ := auth.NewSigner([]byte(strings.Repeat("x", 32)), "evil")
		tok, _ := other.Mint(auth.Principal{UserID: "admin", Role: identityv1.Role_ADMIN})
		ctx := metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
		_, err := c.GetUser(ctx, &identityv1.GetUserRequest{Id: "x"})
		wantCode(t, err, codes.Unauthenticated)
	})
	t.Run("an internal token for another service is UNAUTHENTICATED", func(t *testing.T) {
		// Signed with the right secret, but minted for a call to policy.
		tok, _ := signer.MintFor(auth.Principal{UserID: "admin", Role: identityv1.Role_ADMIN}, "grantflow-policy")
		ctx := metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
		_, err := c.GetUser(ctx, &identityv1.GetUserRequest{Id: "x"})
		wantCode(t, err, codes.Unauthenticated)
		tok, _ = signer.MintFor(auth.Principal{UserID: "admin", Role: identityv1.Role_ADMIN}, "grantflow-identity")
		ctx = metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
		if _, err := c.GetUser(ctx, &identityv1.GetUserRequest{Id: "x"}); err != nil {
			t.Errorf("a token for identity: %v", err)
		}
	})
	t.Run("good key reaches the handler with its principal", func(t *testing.T) {
		u, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if u.GetId() != "u1" || u.GetDisplayName() != "k1" {
			t.Fatalf("principal not carried: %v", u)
		}
	})
	t.Run("bad field is INVALID_ARGUMENT naming it", func(t *testing.T) {
		_, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: ""})
		wantCode(t, err, codes.InvalidArgument)
		if f := badFields(err); len(f) != 1 || f[0] != "id" {
			t.Fatalf("want a BadRequest naming id, got %v", f)
		}
	})
	t.Run("validation runs after authentication", func(t *testing.T) {
		_, err := c.GetUser(context.Background(), &identityv1.GetUserRequest{Id: ""})
		wantCode(t, err, codes.Unauthenticated)
	})
	t.Run("domain error keeps its code", func(t *testing.T) {
		_, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "missing"})
		wantCode(t, err, codes.NotFound)
	})
	t.Run("internal error is masked and logged under its id", func(t *testing.T) {
		_, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "db"})
		wantCode(t, err, codes.Internal)
		msg := status.Convert(err).Message()
		if strings.Contains(msg, "10.0.0.7") {
			t.Fatalf("internal detail leaked: %q", msg)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(msg, "internal error (id "), ")")
		if id == msg || !strings.Contains(logs.String(), id) || !strings.Contains(logs.String(), "10.0.0.7") {
			t.Fatalf("log should hold id %q and the real error; log: %s", id, logs.String())
		}
	})
	t.Run("panic is recovered, masked, and the server stays up", func(t *testing.T) {
		_, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "panic"})
		wantCode(t, err, codes.Internal)
		if strings.Contains(status.Convert(err).Message(), "secret detail") {
			t.Fatal("panic value leaked")
		}
		if _, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "x"}); err != nil {
			t.Fatalf("server down after panic: %v", err)
		}
	})
	t.Run("internal service refuses a user's credential", func(t *testing.T) {
		ic := identityv1.NewIdentityInternalServiceClient(conn)
		_, err := ic.GetFacts(withKey("gf_good"), &identityv1.GetFactsRequest{})
		wantCode(t, err, codes.PermissionDenied)
	})
	t.Run("internal service accepts a signed internal caller", func(t *testing.T) {
		tok, _ := signer.Mint(auth.System())
		ctx := metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
		if _, err := identityv1.NewIdentityInternalServiceClient(conn).GetFacts(ctx, &identityv1.GetFactsRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("health needs no credentials", func(t *testing.T) {
		res, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health: %v %v", res, err)
		}
	})
}

func TestClientCarriesCaller(t *testing.T) {
	_, signer := start(t, slog.New(slog.DiscardHandler))
	// A real listener so grpcclient.Dial (which dials by address) can be used.
	srv, _, err := grpcserver.New(grpcserver.Options{Logger: slog.New(slog.DiscardHandler), Auth: auth.ServerOptions{Signer: signer}})
	if err != nil {
		t.Fatal(err)
	}
	identityv1.RegisterIdentityServiceServer(srv, fakeIdentity{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := grpcclient.Dial(lis.Addr().String(), grpcclient.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{UserID: "alice", CredentialID: "k9"})
	// A raw authorization header set by the caller must not be forwarded: only the token.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer gf_good")
	u, err := identityv1.NewIdentityServiceClient(conn).GetUser(ctx, &identityv1.GetUserRequest{Id: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if u.GetId() != "alice" || u.GetDisplayName() != "k9" {
		t.Fatalf("caller not carried: %v", u)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code %v, want %v (err %v)", got, want, err)
	}
}

func badFields(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

// TestFailedAuthenticationsAreLimitedPerPeer: on a gRPC port, after its burst of
// UNAUTHENTICATED answers (bad keys, no credentials, bad internal tokens) a client
// address gets RESOURCE_EXHAUSTED for every call, a good key included, before its
// credential is looked at; good calls cost nothing; health stays reachable.
func TestFailedAuthenticationsAreLimitedPerPeer(t *testing.T) {
	const burst = 4
	conn, _ := startWith(t, slog.New(slog.DiscardHandler), auth.NewFailureLimiter(burst).WithRefill(time.Hour))
	c := identityv1.NewIdentityServiceClient(conn)
	for range 3 * burst {
		if _, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	bad := []context.Context{withKey("gf_guess1"), context.Background(), withKey("gf_guess2"),
		metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, "not-a-token")}
	for i, ctx := range bad[:burst] {
		_, err := c.GetUser(ctx, &identityv1.GetUserRequest{Id: "x"})
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	for _, ctx := range []context.Context{withKey("gf_guess3"), withKey("gf_good")} {
		_, err := c.GetUser(ctx, &identityv1.GetUserRequest{Id: "x"})
		wantCode(t, err, codes.ResourceExhausted)
	}
	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health: %v", err)
	}
}

// TestCallsBetweenServicesLogAtDebug: the "finished call" record of a successful call
// carrying an internal caller token is DEBUG (one REST call does not log a line per hop);
// a public call's stays INFO, and an internal call's error stays visible.
func TestCallsBetweenServicesLogAtDebug(t *testing.T) {
	var logs bytes.Buffer
	conn, signer := start(t, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	c := identityv1.NewIdentityServiceClient(conn)
	tok, _ := signer.Mint(auth.System())
	internal := metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
	if _, err := c.GetUser(internal, &identityv1.GetUserRequest{Id: "internal-ok"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), `"finished call"`); n != 0 {
		t.Errorf("a successful internal call logged %d finished-call records at INFO: %s", n, logs.String())
	}
	if _, err := c.GetUser(withKey("gf_good"), &identityv1.GetUserRequest{Id: "public-ok"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), `"finished call"`); n != 1 {
		t.Errorf("a public call: %d finished-call records, want 1: %s", n, logs.String())
	}
	if _, err := c.GetUser(internal, &identityv1.GetUserRequest{Id: "missing"}); status.Code(err) != codes.NotFound {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), `"finished call"`); n != 2 {
		t.Errorf("an internal call's error: %d finished-call records, want 2: %s", n, logs.String())
	}
}
