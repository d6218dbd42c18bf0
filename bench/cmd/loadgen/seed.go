package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// person is a seeded user and the API key they call with.
type person struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Manager int    `json:"manager,omitempty"` // requesters: index into Managers
}

type seededApp struct {
	ID    string `json:"id"`
	Owner int    `json:"owner"` // index into Owners
}

// seedFile is what seed writes and the other commands read: the organization, and the
// cursor of the next unused (requester, app) pair.
type seedFile struct {
	Created    time.Time   `json:"created"`
	Permission string      `json:"permission"`
	Requesters []person    `json:"requesters"`
	Managers   []person    `json:"managers"`
	Owners     []person    `json:"owners"`
	Apps       []seededApp `json:"apps"`
	// Next is the first (requester, app) pair no run has used yet: pair k is requester
	// k % len(Requesters) asking for app (k / len(Requesters)) % len(Apps). A user may hold
	// one permission per app, so every lifecycle needs a pair of its own.
	Next int64 `json:"next"`
	path string
}

func (s *seedFile) pairs() int64 { return int64(len(s.Requesters)) * int64(len(s.Apps)) }

func loadSeed(path string) (*seedFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s seedFile
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Requesters) == 0 || len(s.Apps) == 0 || len(s.Managers) == 0 || len(s.Owners) == 0 {
		return nil, fmt.Errorf("%s: no organization in it (run loadgen seed)", path)
	}
	s.path = path
	return &s, nil
}

func (s *seedFile) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

func cmdSeed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	identityAddr := fs.String("identity", "127.0.0.1:9091", "identity service gRPC address")
	adminKey := fs.String("admin-key", os.Getenv("GRANTFLOW_BOOTSTRAP_ADMIN_KEY"), "the bootstrap admin's API key (default $GRANTFLOW_BOOTSTRAP_ADMIN_KEY)")
	requesters := fs.Int("requesters", 400, "users who submit requests")
	managers := fs.Int("managers", 20, "managers (each requester reports to one)")
	owners := fs.Int("owners", 20, "app owners")
	apps := fs.Int("apps", 100, "apps (each with one owner)")
	workers := fs.Int("workers", 8, "calls in flight while seeding")
	out := fs.String("out", "seed.json", "where to write the organization")
	_ = fs.Parse(args)
	if *adminKey == "" {
		return errors.New("seed: -admin-key (or GRANTFLOW_BOOTSTRAP_ADMIN_KEY) is required")
	}
	conn, err := dial(*identityAddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	id := identityv1.NewIdentityServiceClient(conn)
	ctx := context.Background()
	admin := bearer(ctx, *adminKey)
	me, err := id.GetMe(admin, &identityv1.GetMeRequest{})
	if err != nil {
		return fmt.Errorf("seed: GetMe as the bootstrap admin: %w", err)
	}
	start := time.Now()
	run := fmt.Sprintf("%x", start.UnixNano())

	// mkPeople onboards n users reporting to managerOf(i), each with an API key.
	mkPeople := func(kind string, n int, managerOf func(int) string) ([]person, error) {
		out := make([]person, n)
		g, gctx := errgroup.WithContext(admin)
		g.SetLimit(*workers)
		for i := range n {
			g.Go(func() error {
				u, err := id.CreateUser(gctx, &identityv1.CreateUserRequest{
					Email:       fmt.Sprintf("%s-%04d-%s@bench.grantflow.dev", kind, i, run),
					DisplayName: fmt.Sprintf("Bench %s %d", kind, i),
					Role:        identityv1.Role_USER, ManagerId: managerOf(i),
				})
				if err != nil {
					return fmt.Errorf("create %s %d: %w", kind, i, err)
				}
				k, err := id.CreateApiKey(gctx, &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "bench"})
				if err != nil {
					return fmt.Errorf("API key of %s %d: %w", kind, i, err)
				}
				out[i] = person{ID: u.GetId(), Key: k.GetSecret()}
				return nil
			})
		}
		return out, g.Wait()
	}
	s := &seedFile{Created: start.UTC(), Permission: "read", path: *out}
	if s.Managers, err = mkPeople("manager", *managers, func(int) string { return me.GetUser().GetId() }); err != nil {
		return err
	}
	if s.Owners, err = mkPeople("owner", *owners, func(i int) string { return s.Managers[i%len(s.Managers)].ID }); err != nil {
		return err
	}
	if s.Requesters, err = mkPeople("user", *requesters, func(i int) string { return s.Managers[i%len(s.Managers)].ID }); err != nil {
		return err
	}
	for i := range s.Requesters {
		s.Requesters[i].Manager = i % len(s.Managers)
	}
	s.Apps = make([]seededApp, *apps)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(admin)
	g.SetLimit(*workers)
	for i := range *apps {
		g.Go(func() error {
			owner := i % len(s.Owners)
			a, err := id.CreateApp(gctx, &identityv1.CreateAppRequest{
				Name: fmt.Sprintf("bench-app-%04d-%s", i, run), OwnerIds: []string{s.Owners[owner].ID},
				Permissions: []*identityv1.Permission{{Name: "read"}, {Name: "write"}, {Name: "admin", Privileged: true}},
			})
			if err != nil {
				return fmt.Errorf("create app %d: %w", i, err)
			}
			mu.Lock()
			s.Apps[i] = seededApp{ID: a.GetId(), Owner: owner}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := s.save(); err != nil {
		return err
	}
	fmt.Printf("seeded %d requesters, %d managers, %d owners, %d apps (%d distinct lifecycles) in %s -> %s\n",
		len(s.Requesters), len(s.Managers), len(s.Owners), len(s.Apps), s.pairs(), time.Since(start).Round(time.Millisecond), *out)
	return nil
}
