package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/process"
)

// demoOrg is the organization seeded for a newcomer to try things at once.
type demoOrg struct {
	bootstrapKey string
	people       []demoPerson
	apps         []demoApp
	groups       []string
}

type demoPerson struct {
	handle, name, role, manager, note string
	id, key                           string
}

type demoApp struct {
	name, owner string
	perms       []*identityv1.Permission
	id          string
}

// seedDemo creates the demo organization through the public gRPC API, as the bootstrap
// admin, exactly as a client would.
func seedDemo(ctx context.Context, grpcAddr string, p *process.Process, bootstrapKey string) (*demoOrg, error) {
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	id := identityv1.NewIdentityServiceClient(conn)
	as := func(key string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	d := &demoOrg{bootstrapKey: bootstrapKey, people: []demoPerson{
		{handle: "grace", name: "Grace Hopper", role: "GENERAL_MANAGER", note: "General Manager: her manager steps are auto-approved"},
		{handle: "ada", name: "Ada Lovelace", role: "ADMIN", manager: "grace", note: "Admin"},
		{handle: "mona", name: "Mona Ramirez", role: "USER", manager: "grace", note: "manager of Engineering"},
		{handle: "sam", name: "Sam Okafor", role: "USER", manager: "grace", note: "manager of Sales, owner of Salesforce"},
		{handle: "otto", name: "Otto Berg", role: "USER", manager: "mona", note: "engineer, owner of Figma and GitHub"},
		{handle: "uma", name: "Uma Chen", role: "USER", manager: "mona", note: "engineer"},
		{handle: "ulf", name: "Ulf Larsen", role: "USER", manager: "mona", note: "engineer"},
		{handle: "sara", name: "Sara Novak", role: "USER", manager: "sam", note: "account executive"},
	}}
	byHandle := map[string]*demoPerson{}
	for i := range d.people {
		per := &d.people[i]
		byHandle[per.handle] = per
		req := &identityv1.CreateUserRequest{
			Email: per.handle + "@demo.grantflow.dev", DisplayName: per.name,
			Role: identityv1.Role(identityv1.Role_value[per.role]),
		}
		if per.manager != "" {
			req.ManagerId = byHandle[per.manager].id
		}
		u, err := id.CreateUser(as(bootstrapKey), req)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", per.handle, err)
		}
		per.id = u.GetId()
		k, err := id.CreateApiKey(as(bootstrapKey), &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "demo"})
		if err != nil {
			return nil, fmt.Errorf("key for %s: %w", per.handle, err)
		}
		per.key = k.GetSecret()
	}
	admin := byHandle["ada"].key
	d.apps = []demoApp{
		{name: "Figma", owner: "otto", perms: []*identityv1.Permission{{Name: "viewer"}, {Name: "editor"}, {Name: "admin", Privileged: true}}},
		{name: "GitHub", owner: "otto", perms: []*identityv1.Permission{{Name: "read"}, {Name: "write"}, {Name: "admin", Privileged: true}}},
		{name: "Salesforce", owner: "sam", perms: []*identityv1.Permission{{Name: "user"}, {Name: "admin", Privileged: true}}},
	}
	for i := range d.apps {
		a := &d.apps[i]
		res, err := id.CreateApp(as(admin), &identityv1.CreateAppRequest{
			Name: a.name, OwnerIds: []string{byHandle[a.owner].id}, Permissions: a.perms,
			CustomRoles: []*identityv1.CustomRole{{Name: "security", UserIds: []string{byHandle["ada"].id}}},
		})
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", a.name, err)
		}
		a.id = res.GetId()
	}
	g, err := id.CreateGroup(as(admin), &identityv1.CreateGroupRequest{Name: "Security reviewers", MemberIds: []string{byHandle["ada"].id, byHandle["otto"].id}})
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	d.groups = append(d.groups, g.GetName()+" ("+g.GetId()+")")
	p.Log.Info("demo organization seeded", "people", len(d.people), "apps", len(d.apps))
	return d, nil
}

func (d *demoOrg) print(w io.Writer, httpAddr, grpcAddr string) {
	fmt.Fprintf(w, "\nGrantflow all-in-one is up: REST http://%s  gRPC %s\n", httpAddr, grpcAddr)
	fmt.Fprintf(w, "Memory engine: this demo organization lives only as long as this process.\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PERSON\tROLE\tWHO\tUSER ID")
	for _, p := range d.people {
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\n", p.name, p.handle, p.role, p.note, p.id)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tOWNER\tPERMISSIONS (* privileged)\tAPP ID")
	for _, a := range d.apps {
		var ps []string
		for _, p := range a.perms {
			name := p.GetName()
			if p.GetPrivileged() {
				name += "*"
			}
			ps = append(ps, name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.name, a.owner, strings.Join(ps, ", "), a.id)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nGroups: %s\n", strings.Join(d.groups, ", "))
	fmt.Fprintf(w, "\nAPI keys (each shown once; paste these lines into your shell for the README walkthrough):\n\n")
	fmt.Fprintf(w, "export GF=http://%s\n", httpAddr)
	fmt.Fprintf(w, "export GF_BOOTSTRAP=%s\n", d.bootstrapKey)
	for _, p := range d.people {
		fmt.Fprintf(w, "export GF_%s=%s\n", strings.ToUpper(p.handle), p.key)
	}
	fmt.Fprintln(w)
}
