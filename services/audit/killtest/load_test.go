package killtest_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// rpcTimeout bounds one identity write. Writes run on a context that stopping the load does
// not cancel: a write the test gave up on could have committed or not, and the test must
// know which of its writes committed.
const rpcTimeout = 30 * time.Second

// load drives identity writes as the bootstrap admin from several goroutines and records
// what identity acknowledged, which is the truth the audit log is compared with:
//
//   - every onboarded user (subject users/<id>, one event each);
//   - per worker, a group that only that worker writes, one write after the other: the
//     descriptions of its events in the order the worker got the acknowledgements are the
//     commit order;
//   - a few groups every worker writes at once: identity's optimistic version says which
//     write committed after which (version n+1 was written over version n), so the
//     descriptions sorted by the version each acknowledgement returned are the commit order.
//     A write that lost the race must have left no event.
type load struct {
	t         *testing.T
	client    identityv1.IdentityServiceClient
	auth      func(context.Context) context.Context
	managerID string

	stopping atomic.Bool
	wg       sync.WaitGroup
	writes   atomic.Int64

	mu         sync.Mutex
	users      map[string]bool             // subject -> onboarded
	sequential map[string][]string         // subject -> descriptions, in commit order
	contended  map[string]map[int64]string // subject -> version -> description
	lost       map[string]codes.Code       // description of a write that lost a race -> its code
	shared     []string                    // ids of the contended groups
}

func newLoad(t *testing.T, client identityv1.IdentityServiceClient, auth func(context.Context) context.Context, managerID string) *load {
	return &load{
		t: t, client: client, auth: auth, managerID: managerID,
		users: map[string]bool{}, sequential: map[string][]string{},
		contended: map[string]map[int64]string{}, lost: map[string]codes.Code{},
	}
}

// call runs one write with its own deadline, never cancelled by stop.
func (l *load) call(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(l.auth(context.Background()), rpcTimeout)
	defer cancel()
	err := fn(ctx)
	if err == nil {
		l.writes.Add(1)
	}
	return err
}

// start creates the contended groups and starts the workers.
func (l *load) start(workers, sharedGroups int) {
	l.t.Helper()
	for i := range sharedGroups {
		desc := fmt.Sprintf("shared%d-v1", i)
		var g *identityv1.Group
		err := l.call(func(ctx context.Context) (err error) {
			g, err = l.client.CreateGroup(ctx, &identityv1.CreateGroupRequest{Name: fmt.Sprintf("killtest shared %d", i), Description: desc})
			return err
		})
		if err != nil {
			l.t.Fatalf("create shared group %d: %v", i, err)
		}
		l.shared = append(l.shared, g.Id)
		l.contended["groups/"+g.Id] = map[int64]string{1: desc}
	}
	for w := range workers {
		l.wg.Go(func() { l.work(w) })
	}
}

// stop asks the workers to finish the write they are in and waits for them.
func (l *load) stop() {
	l.stopping.Store(true)
	l.wg.Wait()
}

// work is one worker: onboard a user, write its own group, write a contended group, again.
func (l *load) work(w int) {
	own := ""
	for i := 0; !l.stopping.Load(); i++ {
		email := fmt.Sprintf("w%d-%d@killtest.example", w, i)
		var u *identityv1.User
		if err := l.call(func(ctx context.Context) (err error) {
			u, err = l.client.CreateUser(ctx, &identityv1.CreateUserRequest{
				Email: email, DisplayName: fmt.Sprintf("Worker %d user %d", w, i), Role: identityv1.Role_USER, ManagerId: l.managerID,
			})
			return err
		}); err != nil {
			l.t.Errorf("worker %d: onboard %s: %v (identity must not fail a write because audit is down)", w, email, err)
			return
		}
		l.mu.Lock()
		l.users["users/"+u.Id] = true
		l.mu.Unlock()

		desc := fmt.Sprintf("w%d-r%d", w, i)
		if own == "" {
			var g *identityv1.Group
			if err := l.call(func(ctx context.Context) (err error) {
				g, err = l.client.CreateGroup(ctx, &identityv1.CreateGroupRequest{Name: fmt.Sprintf("killtest worker %d", w), Description: desc})
				return err
			}); err != nil {
				l.t.Errorf("worker %d: create its group: %v", w, err)
				return
			}
			own = g.Id
		} else if err := l.call(func(ctx context.Context) error {
			_, err := l.client.UpdateGroup(ctx, updateDescription(own, desc))
			return err
		}); err != nil {
			l.t.Errorf("worker %d: update its group %s: %v", w, own, err)
			return
		}
		l.mu.Lock()
		l.sequential["groups/"+own] = append(l.sequential["groups/"+own], desc)
		l.mu.Unlock()

		shared := l.shared[(w+i)%len(l.shared)]
		desc = fmt.Sprintf("s-w%d-%d", w, i)
		var g *identityv1.Group
		err := l.call(func(ctx context.Context) (err error) {
			g, err = l.client.UpdateGroup(ctx, updateDescription(shared, desc))
			return err
		})
		l.mu.Lock()
		switch code := status.Code(err); {
		case err == nil:
			v, perr := versionOf(g.GetEtag())
			if perr != nil {
				l.t.Errorf("worker %d: group %s: %v", w, shared, perr)
			}
			if prev, dup := l.contended["groups/"+shared][v]; dup {
				l.t.Errorf("group %s: version %d acknowledged twice (%q and %q)", shared, v, prev, desc)
			}
			l.contended["groups/"+shared][v] = desc
		case code == codes.Aborted || code == codes.Internal:
			// Two writers raced for the row; identity refused this one. (A stale version
			// should be ABORTED per the API; identity reports it as INTERNAL today.)
			// Whether it really left nothing behind is checked against identity's outbox.
			l.lost[desc] = code
		default:
			l.t.Errorf("worker %d: update shared group %s: %v", w, shared, err)
		}
		l.mu.Unlock()
		if err != nil && status.Code(err) != codes.Aborted && status.Code(err) != codes.Internal {
			return
		}
	}
}

func updateDescription(id, desc string) *identityv1.UpdateGroupRequest {
	return &identityv1.UpdateGroupRequest{
		Id:         id,
		Group:      &identityv1.Group{Description: desc},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
	}
}

// versionOf reads the version out of identity's etag ("\"7\"").
func versionOf(etag string) (int64, error) {
	unquoted, err := strconv.Unquote(etag)
	if err != nil {
		return 0, fmt.Errorf("etag %q: %w", etag, err)
	}
	return strconv.ParseInt(unquoted, 10, 64)
}
