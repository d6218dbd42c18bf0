package cli

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// pageSize is what each page of a list asks for: the API's most.
const pageSize = "500"

// pages reads a list call page after page until nextPageToken is empty, handing each page
// to add. The command line shows whole lists; -o json prints them as one page.
func pages[T proto.Message](ctx context.Context, cl *Client, path string, q url.Values, newPage func() T, next func(T) string, add func(T)) error {
	if q == nil {
		q = url.Values{}
	}
	q.Set("pageSize", pageSize)
	for {
		page := newPage()
		if err := cl.Do(ctx, http.MethodGet, path, q, nil, page); err != nil {
			return err
		}
		add(page)
		token := next(page)
		if token == "" {
			return nil
		}
		q.Set("pageToken", token)
	}
}

// apps lists every app the caller may see.
func apps(ctx context.Context, cl *Client) ([]*identityv1.App, error) {
	var out []*identityv1.App
	err := pages(ctx, cl, "/v1/apps", nil, func() *identityv1.ListAppsResponse { return &identityv1.ListAppsResponse{} },
		(*identityv1.ListAppsResponse).GetNextPageToken, func(p *identityv1.ListAppsResponse) { out = append(out, p.GetApps()...) })
	return out, err
}

// names maps ids to names for tables: apps by name, people by display name. What cannot be
// looked up (not visible to the caller) shows as its id.
type names struct {
	apps, users map[string]string
}

func lookupNames(ctx context.Context, cl *Client) names {
	n := names{apps: map[string]string{}, users: map[string]string{}}
	if as, err := apps(ctx, cl); err == nil {
		for _, a := range as {
			n.apps[a.GetId()] = a.GetName()
		}
	}
	_ = pages(ctx, cl, "/v1/users", nil, func() *identityv1.ListUsersResponse { return &identityv1.ListUsersResponse{} },
		(*identityv1.ListUsersResponse).GetNextPageToken, func(p *identityv1.ListUsersResponse) {
			for _, u := range p.GetUsers() {
				n.users[u.GetId()] = u.GetDisplayName()
			}
		})
	return n
}

func (n names) app(id string) string {
	if name, ok := n.apps[id]; ok {
		return name
	}
	return id
}

func (n names) user(id string) string {
	if name, ok := n.users[id]; ok {
		return name
	}
	return id
}

func (n names) people(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.user(id)
	}
	return strings.Join(out, ", ")
}

// when is a time for tables: UTC, to the second.
func when(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}
