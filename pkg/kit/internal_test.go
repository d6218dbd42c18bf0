package kit

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Every generated package, so that the registry holds every service (the walk of gen/
	// below fails when a package is missing here).
	_ "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/options/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// mustBeInternal names the services that are internal by their name: every
// *InternalService, the event sink and audit's deprecated ingestion.
func mustBeInternal(service string) bool {
	return strings.HasSuffix(service, "InternalService") ||
		service == "grantflow.events.v1.EventSinkService" || service == "grantflow.audit.v1.AuditIngestService"
}

// grantflowServices are the services of every generated file, after checking that this
// test links every proto file under gen/go (a new package cannot be left out).
func grantflowServices(t *testing.T) []protoreflect.ServiceDescriptor {
	t.Helper()
	root := filepath.Join("..", "..", "gen", "go")
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".pb.go") || strings.HasSuffix(path, "_grpc.pb.go") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files++
		proto := strings.TrimSuffix(filepath.ToSlash(rel), ".pb.go") + ".proto"
		if _, err := protoregistry.GlobalFiles.FindFileByPath(proto); err != nil {
			t.Errorf("%s is not linked into this test: import its package above", proto)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walking %s: %d files, %v", root, files, err)
	}
	var out []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(f.Package()), "grantflow.") {
			for i := range f.Services().Len() {
				out = append(out, f.Services().Get(i))
			}
		}
		return true
	})
	return out
}

// Every internal service declares the option, and only those do: a public service's
// methods stay callable by people, every method of an internal one is internal-only.
func TestInternalFollowsTheProtoOption(t *testing.T) {
	services := grantflowServices(t)
	internal, public := 0, 0
	for _, sd := range services {
		name := string(sd.FullName())
		if Internal(name) != mustBeInternal(name) {
			t.Errorf("%s: Internal = %v; a service named so must carry option (grantflow.options.v1.internal) = %v", name, Internal(name), mustBeInternal(name))
		}
		if Internal(name) {
			internal++
		} else {
			public++
		}
		for i := range sd.Methods().Len() {
			full := "/" + name + "/" + string(sd.Methods().Get(i).Name())
			if InternalMethod(full) != Internal(name) {
				t.Errorf("InternalMethod(%s) = %v", full, InternalMethod(full))
			}
		}
	}
	// identity, request, task, review internal; events sink; audit ingestion.
	if internal < 6 || public < 8 {
		t.Fatalf("%d internal and %d public services found; the registry is not what it should be", internal, public)
	}
	for _, m := range []string{"", "/", "grantflow.events.v1.EventSinkService", "/grantflow.events.v1.EventSinkServiceX/DeliverEvents", "/grantflow.events.v1.DeliverEventsRequest/X", "/no.such.Service/X"} {
		if InternalMethod(m) {
			t.Errorf("InternalMethod(%q) = true", m)
		}
	}
}

type authModule struct{ fakeModule }

func (*authModule) Authenticator() auth.Authenticator {
	return auth.AuthenticatorFunc(func(context.Context, string) (auth.Principal, error) {
		return auth.Principal{UserID: "u1"}, nil
	})
}

// The set's server refuses a person's call to an internal service's method, and lets it
// call a public one: the rule the protos declare is the one the servers apply.
func TestSetServerAuthRefusesPeopleOnInternalServices(t *testing.T) {
	s := &Set{names: []string{"grantflow-identity"}, modules: []Module{&authModule{}}}
	o, err := s.ServerAuth()
	if err != nil {
		t.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer key"))
	for _, sd := range grantflowServices(t) {
		full := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(0).Name())
		_, err := o.Authenticate(ctx, full)
		switch {
		case mustBeInternal(string(sd.FullName())) && !errs.Is(err, errs.KindPermissionDenied):
			t.Errorf("%s: a person's call = %v, want PERMISSION_DENIED", full, err)
		case !mustBeInternal(string(sd.FullName())) && err != nil:
			t.Errorf("%s: a person's call = %v, want accepted", full, err)
		}
	}
}
