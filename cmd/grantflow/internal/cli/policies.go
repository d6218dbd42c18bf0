package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/grantflow/grantflow/cmd/grantflow/internal/policyfile"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

func (c *cmdEnv) policies() *cobra.Command {
	cmd := &cobra.Command{
		Use: "policies", Aliases: []string{"policy"},
		Short: "Policies: list and get them, and keep them as code (apply, diff, export)",
		Long: `Policies, and policies as code: a YAML file names policies by name, with their request
type, scope (app and permissions by name) and workflow (docs/POLICIES-AS-CODE.md).
apply makes the server match the file, diff shows what apply would do (exit code 2 when
the server differs), export writes the server's policies in the same format.`,
	}
	c.outputFlag(cmd)
	cmd.AddCommand(c.policiesList(), c.policiesGet(), c.policiesApply(), c.policiesDiff(), c.policiesExport())
	return cmd
}

func (c *cmdEnv) policiesList() *cobra.Command {
	var typ, app string
	cmd := &cobra.Command{
		Use:   "list [--type T] [--app APP_ID]",
		Short: "Policies, the system defaults among them (GET /v1/policies)",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, _ []string) error {
			q := url.Values{}
			if t, err := enumValue("type", typ, typev1.RequestType(0).Descriptor()); err != nil {
				return err
			} else if t != 0 {
				q.Set("requestType", typev1.RequestType(t).String())
			}
			if app != "" {
				q.Set("appId", app)
			}
			all, err := listPolicies(ctx, cl, q)
			if err != nil {
				return err
			}
			return out.print(all, func() *Table {
				n := lookupNames(ctx, cl)
				t := &Table{Header: []string{"ID", "NAME", "GOVERNS", "ACTIVE"}, Shrink: []bool{false, true, true, false}, Empty: "No policies."}
				for _, p := range all.GetPolicies() {
					t.Rows = append(t.Rows, []string{p.GetId(), p.GetName(), governs(p, n), activeVersion(p)})
				}
				return t
			})
		}),
	}
	cmd.Flags().StringVar(&typ, "type", "", "only policies of this request type")
	cmd.Flags().StringVar(&app, "app", "", "only policies of this app (app id)")
	_ = cmd.RegisterFlagCompletionFunc("type", enumCompletion(typev1.RequestType(0).Descriptor()))
	return cmd
}

func listPolicies(ctx context.Context, cl *Client, q url.Values) (*policyv1.ListPoliciesResponse, error) {
	all := &policyv1.ListPoliciesResponse{}
	err := pages(ctx, cl, "/v1/policies", q, func() *policyv1.ListPoliciesResponse { return &policyv1.ListPoliciesResponse{} },
		(*policyv1.ListPoliciesResponse).GetNextPageToken, func(p *policyv1.ListPoliciesResponse) { all.Policies = append(all.Policies, p.GetPolicies()...) })
	return all, err
}

func activeVersion(p *policyv1.Policy) string {
	if p.GetActiveVersion() == 0 {
		return "none"
	}
	return "v" + strconv.FormatInt(p.GetActiveVersion(), 10)
}

// governs says what a policy applies to: "GRANT_ACCESS on GitHub (admin)".
func governs(p *policyv1.Policy, n names) string {
	s := p.GetRequestType().String()
	if id := p.GetScope().GetAppId(); id != "" {
		s += " on " + n.app(id)
	}
	if ps := p.GetScope().GetPermissions(); len(ps) > 0 {
		s += " (" + strings.Join(ps, ", ") + ")"
	}
	return s
}

func (c *cmdEnv) policiesGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "A policy (GET /v1/policies/{id}); the table adds its active workflow",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var p policyv1.Policy
			if err := cl.Do(ctx, http.MethodGet, "/v1/policies/"+url.PathEscape(args[0]), nil, nil, &p); err != nil {
				return err
			}
			var active *policyv1.PolicyVersion
			if out.format == formatTable && p.GetActiveVersion() > 0 {
				active = &policyv1.PolicyVersion{}
				if err := cl.Do(ctx, http.MethodGet, versionPath(p.GetId(), p.GetActiveVersion()), nil, nil, active); err != nil {
					return err
				}
			}
			return out.print(&p, func() *Table {
				n := lookupNames(ctx, cl)
				t := fields("ID", p.GetId(), "NAME", p.GetName(), "GOVERNS", governs(&p, n), "LEVEL", p.GetLevel().String(),
					"ACTIVE", activeVersion(&p), "LATEST", "v"+strconv.FormatInt(p.GetLatestVersion(), 10), "UPDATED", when(p.GetUpdateTime()))
				for i, s := range active.GetWorkflow().GetReviewSteps() {
					t.Rows = append(t.Rows, []string{fmt.Sprintf("REVIEW %d", i+1), stepWords(s, n)})
				}
				if s := active.GetWorkflow().GetActionStep(); s != nil {
					t.Rows = append(t.Rows, []string{"ACTION", stepWords(s, n)})
				}
				return t
			})
		}),
	}
}

// stepWords is a step in a table: "Security review: USER_GROUPS, ALL".
func stepWords(s *typev1.Step, n names) string {
	a := s.GetAssignee()
	who := a.GetKind().String()
	switch {
	case a.GetCustomRole() != "":
		who += " " + a.GetCustomRole()
	case len(a.GetUserIds()) > 0:
		who += " " + n.people(a.GetUserIds())
	case len(a.GetGroupIds()) > 0:
		who += " " + strings.Join(a.GetGroupIds(), ", ")
	}
	out := s.GetName() + ": " + who
	switch s.GetApproval() {
	case typev1.Approval_ALL, typev1.Approval_ANY:
		out += ", " + s.GetApproval().String()
	case typev1.Approval_QUORUM:
		out += fmt.Sprintf(", QUORUM of %d", s.GetMinApprovals())
	}
	return out
}

func versionPath(policyID string, version int64) string {
	return "/v1/policies/" + url.PathEscape(policyID) + "/versions/" + strconv.FormatInt(version, 10)
}

// fileFlag is -f FILE ("-": standard input).
func fileFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVarP(file, "filename", "f", "", "the policies file (\"-\": standard input)")
	_ = cmd.MarkFlagRequired("filename")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml")
}

// state is what apply, diff and export read from the server.
type state struct {
	dir     policyfile.Directory
	current []policyfile.Current
}

// readState reads the directory (apps, groups, users) and every policy with its active
// and newest versions.
func readState(ctx context.Context, cl *Client) (*state, error) {
	s := &state{}
	var err error
	if s.dir.Apps, err = apps(ctx, cl); err != nil {
		return nil, err
	}
	if err := pages(ctx, cl, "/v1/groups", nil, func() *identityv1.ListGroupsResponse { return &identityv1.ListGroupsResponse{} },
		(*identityv1.ListGroupsResponse).GetNextPageToken, func(p *identityv1.ListGroupsResponse) { s.dir.Groups = append(s.dir.Groups, p.GetGroups()...) }); err != nil {
		return nil, err
	}
	if err := pages(ctx, cl, "/v1/users", nil, func() *identityv1.ListUsersResponse { return &identityv1.ListUsersResponse{} },
		(*identityv1.ListUsersResponse).GetNextPageToken, func(p *identityv1.ListUsersResponse) { s.dir.Users = append(s.dir.Users, p.GetUsers()...) }); err != nil {
		return nil, err
	}
	all, err := listPolicies(ctx, cl, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range all.GetPolicies() {
		cur := policyfile.Current{Policy: p}
		if v := p.GetActiveVersion(); v > 0 {
			cur.Active = &policyv1.PolicyVersion{}
			if err := cl.Do(ctx, http.MethodGet, versionPath(p.GetId(), v), nil, nil, cur.Active); err != nil {
				return nil, err
			}
		}
		cur.Latest = cur.Active
		if v := p.GetLatestVersion(); v > 0 && v != p.GetActiveVersion() {
			cur.Latest = &policyv1.PolicyVersion{}
			if err := cl.Do(ctx, http.MethodGet, versionPath(p.GetId(), v), nil, nil, cur.Latest); err != nil {
				return nil, err
			}
		}
		s.current = append(s.current, cur)
	}
	return s, nil
}

// planFile reads, checks and plans a policies file against the server.
func (c *cmdEnv) planFile(ctx context.Context, cl *Client, file string, prune bool) (*policyfile.Document, *state, policyfile.Plan, error) {
	var raw []byte
	var err error
	name := file
	if file == "-" {
		name = "<stdin>"
		raw, err = io.ReadAll(c.env.Stdin)
	} else {
		raw, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, nil, policyfile.Plan{}, err
	}
	doc, err := policyfile.Parse(name, raw)
	if err != nil {
		return nil, nil, policyfile.Plan{}, err
	}
	st, err := readState(ctx, cl)
	if err != nil {
		return nil, nil, policyfile.Plan{}, err
	}
	desired, err := doc.Resolve(st.dir)
	if err != nil {
		return nil, nil, policyfile.Plan{}, err
	}
	plan, err := doc.MakePlan(desired, st.current)
	if err == nil && prune {
		plan.Prune(desired, st.current)
	}
	return doc, st, plan, err
}

func (c *cmdEnv) policiesDiff() *cobra.Command {
	var file string
	var prune bool
	cmd := &cobra.Command{
		Use:   "diff -f FILE",
		Short: "Show what apply would change; exit code 2 when the server differs from the file, 0 when not",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, _ printer, _ []string) error {
			_, st, plan, err := c.planFile(ctx, cl, file, prune)
			if err != nil {
				return err
			}
			plan.Write(c.env.Stdout, st.dir)
			if plan.Changes() > 0 {
				return ExitError{Code: 2}
			}
			return nil
		}),
	}
	fileFlag(cmd, &file)
	pruneFlag(cmd, &prune)
	return cmd
}

// pruneFlag: --prune also retires the server's policies that the file does not name.
func pruneFlag(cmd *cobra.Command, prune *bool) {
	cmd.Flags().BoolVar(prune, "prune", false, "also retire the server's policies that the file does not name (never the system defaults)")
}

func (c *cmdEnv) policiesApply() *cobra.Command {
	var file string
	var prune bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Make the server's policies match the file: create, draft and activate; nothing when they match",
		Long: `apply makes the server match the file: it creates the policies the server lacks and
activates their version 1, adds and activates a new version where the workflow differs,
and leaves equal policies alone (a second apply changes nothing and says so). Every policy
of the file is checked first, and nothing is applied when any is invalid. Policies the
file does not name are left alone, unless --prune is given: then each of them that has an
active version is retired (never the system defaults), after everything else is applied.`,
		Args: cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, _ printer, _ []string) error {
			doc, st, plan, err := c.planFile(ctx, cl, file, prune)
			if err != nil {
				return err
			}
			plan.Write(c.env.Stdout, st.dir)
			if plan.Changes() == 0 {
				return nil
			}
			return c.apply(ctx, cl, doc, plan)
		}),
	}
	fileFlag(cmd, &file)
	pruneFlag(cmd, &prune)
	return cmd
}

// apply carries a plan out in two passes: first every draft (the new versions of existing
// policies, then the new policies), so that a refusal of the server stops the run before
// anything governs differently; then every activation. When a draft is refused, the drafts
// added to existing policies are deleted again; a new policy created before the refusal
// stays, with no active version (it governs nothing), and the error says so.
func (c *cmdEnv) apply(ctx context.Context, cl *Client, doc *policyfile.Document, plan policyfile.Plan) error {
	type activation struct {
		name     string
		policyID string
		version  int64
	}
	var todo []activation
	var drafts []activation // new versions of existing policies, to delete on failure
	var created []string
	fail := func(a policyfile.Action, err error) error {
		for _, d := range drafts {
			_ = cl.Do(ctx, http.MethodDelete, versionPath(d.policyID, d.version), nil, nil, nil)
		}
		msg := "nothing was applied"
		if len(created) > 0 {
			msg = fmt.Sprintf("nothing was activated; created as drafts, governing nothing until applied again: %s", strings.Join(created, ", "))
		}
		return fmt.Errorf("%w\n%s", fileError(doc, a, err), msg)
	}
	passes := [][]policyfile.ActionKind{{policyfile.NewVersion, policyfile.ActivateDraft}, {policyfile.Create}}
	for _, kinds := range passes {
		for _, a := range plan.Actions {
			if a.Kind != kinds[0] && (len(kinds) < 2 || a.Kind != kinds[1]) {
				continue
			}
			switch a.Kind {
			case policyfile.ActivateDraft:
				todo = append(todo, activation{a.Desired.Name, a.Current.Policy.GetId(), a.Current.Latest.GetVersion()})
			case policyfile.NewVersion:
				var v policyv1.PolicyVersion
				in := &policyv1.CreatePolicyVersionRequest{Workflow: a.Desired.Create.GetWorkflow()}
				if err := cl.Do(ctx, http.MethodPost, "/v1/policies/"+url.PathEscape(a.Current.Policy.GetId())+"/versions", nil, in, &v); err != nil {
					return fail(a, err)
				}
				drafts = append(drafts, activation{a.Desired.Name, v.GetPolicyId(), v.GetVersion()})
				todo = append(todo, activation{a.Desired.Name, v.GetPolicyId(), v.GetVersion()})
			case policyfile.Create:
				var p policyv1.Policy
				if err := cl.Do(ctx, http.MethodPost, "/v1/policies", nil, a.Desired.Create, &p); err != nil {
					return fail(a, err)
				}
				created = append(created, fmt.Sprintf("%q (%s)", a.Desired.Name, p.GetId()))
				todo = append(todo, activation{a.Desired.Name, p.GetId(), p.GetLatestVersion()})
			}
		}
	}
	for i, a := range todo {
		var v policyv1.PolicyVersion
		if err := cl.Do(ctx, http.MethodPost, versionPath(a.policyID, a.version)+":activate", nil, &policyv1.ActivatePolicyVersionRequest{}, &v); err != nil {
			var done []string
			for _, d := range todo[:i] {
				done = append(done, fmt.Sprintf("%q v%d", d.name, d.version))
			}
			return fmt.Errorf("activate %q version %d: %w (activated before it: %s; apply again to finish)", a.name, a.version, err, strings.Join(done, ", "))
		}
	}
	retired := 0
	for _, a := range plan.Actions {
		if a.Kind != policyfile.Retire {
			continue
		}
		var p policyv1.Policy
		if err := cl.Do(ctx, http.MethodPost, "/v1/policies/"+url.PathEscape(a.Current.Policy.GetId())+":retire", nil, &policyv1.RetirePolicyRequest{}, &p); err != nil {
			return fmt.Errorf("retire %q (%s): %w (everything else was applied; apply again to finish)", a.Current.Policy.GetName(), a.Current.Policy.GetId(), err)
		}
		retired++
	}
	fmt.Fprintf(c.env.Stdout, "Applied: %d policies changed.\n", len(todo)+retired)
	return nil
}

// fileError names the file and line of the policy the server refused, and the field when
// the server named one.
func fileError(doc *policyfile.Document, a policyfile.Action, err error) error {
	field := fmt.Sprintf("policies[%d]", a.Desired.Index)
	var ae *APIError
	if errors.As(err, &ae) && len(ae.Fields) > 0 {
		var es policyfile.Errors
		for _, f := range ae.Fields {
			ff := field + "." + policyfile.FileField(f.Field)
			es = append(es, &policyfile.Error{File: doc.Name, Line: doc.Line(ff), Field: ff, Policy: a.Desired.Name, Msg: "the server refused it: " + f.Description})
		}
		return es
	}
	return &policyfile.Error{File: doc.Name, Line: a.Desired.Line, Field: field, Policy: a.Desired.Name, Msg: "the server refused it: " + err.Error()}
}

func (c *cmdEnv) policiesExport() *cobra.Command {
	return &cobra.Command{
		Use:   "export",
		Short: "Write the server's active policies as a policies file (export | apply changes nothing)",
		Long: `export writes every policy that has an active version, with that version's workflow, in
the format apply reads (docs/POLICIES-AS-CODE.md), to standard output; -o does not apply.`,
		Args: cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, _ printer, _ []string) error {
			st, err := readState(ctx, cl)
			if err != nil {
				return err
			}
			raw, err := policyfile.Export(st.current, st.dir)
			if err != nil {
				return err
			}
			_, err = io.Copy(c.env.Stdout, bytes.NewReader(raw))
			return err
		}),
	}
}
