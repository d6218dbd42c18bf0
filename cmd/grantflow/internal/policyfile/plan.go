package policyfile

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// Current is a policy on the server with the versions a plan looks at.
type Current struct {
	Policy *policyv1.Policy
	Active *policyv1.PolicyVersion // nil when no version is active
	Latest *policyv1.PolicyVersion // the newest version (the active one, or a draft after it)
}

// Workflow is the workflow that governs now: the active version's (nil when none is).
func (c Current) Workflow() *typev1.Workflow { return c.Active.GetWorkflow() }

// ActionKind is what apply does to one policy.
type ActionKind int

const (
	// Unchanged: the server's active version has the file's workflow.
	Unchanged ActionKind = iota
	// Create: POST /v1/policies, then activate its version 1.
	Create
	// NewVersion: POST /v1/policies/{id}/versions with the file's workflow, then activate it.
	NewVersion
	// ActivateDraft: the newest version is a draft with the file's workflow: activate it.
	ActivateDraft
	// Retire: with --prune, a server policy the file does not name, with an active
	// version: POST /v1/policies/{id}:retire (the next broader level governs again).
	Retire
)

// Action is one step of a plan.
type Action struct {
	Kind    ActionKind
	Desired Desired
	Current *Current // nil for Create
}

// Plan is what makes the server match a file, one action per policy of the file, in the
// file's order. Policies on the server that the file does not name are left alone, unless
// Prune added a Retire action for each of them.
type Plan struct {
	Actions []Action
}

// Changes counts the actions that change something.
func (p Plan) Changes() int {
	n := 0
	for _, a := range p.Actions {
		if a.Kind != Unchanged {
			n++
		}
	}
	return n
}

// MakePlan compares the file's policies with the server's, matched by name. A policy whose
// request type or scope differs from the server's policy of that name, a name two server
// policies share, and a new policy whose scope another policy already holds are errors
// naming the file's line: nothing of such a plan may run.
func (d *Document) MakePlan(desired []Desired, current []Current) (Plan, error) {
	byName := map[string][]*Current{}
	for i := range current {
		c := &current[i]
		byName[c.Policy.GetName()] = append(byName[c.Policy.GetName()], c)
	}
	var errs Errors
	add := func(ds Desired, field, format string, args ...any) {
		errs = append(errs, d.at(index("policies", ds.Index)+field, ds.Name, fmt.Sprintf(format, args...)))
	}
	var plan Plan
	var creating []Desired
	for _, ds := range desired {
		cs := byName[ds.Name]
		if len(cs) > 1 {
			add(ds, ".name", "%d policies on the server are named %q (%s): rename one so that the name says which", len(cs), ds.Name, ids(cs))
			continue
		}
		if len(cs) == 0 {
			for _, other := range current {
				if overlaps(ds.Create, other.Policy.GetRequestType(), other.Policy.GetScope(), other.Policy.GetLevel()) {
					add(ds, scopeField(ds.Create.GetScope()), "policy %s (%q) already governs this scope for %s: name that policy in the file instead (two policies at one level would make resolution ambiguous)",
						other.Policy.GetId(), other.Policy.GetName(), ds.Create.GetRequestType())
				}
			}
			for _, other := range creating {
				if overlaps(ds.Create, other.Create.GetRequestType(), other.Create.GetScope(), level(other.Create.GetScope())) {
					add(ds, scopeField(ds.Create.GetScope()), "policies[%d] (%q) has this scope for %s too: one policy per scope", other.Index, other.Name, ds.Create.GetRequestType())
				}
			}
			creating = append(creating, ds)
			plan.Actions = append(plan.Actions, Action{Kind: Create, Desired: ds})
			continue
		}
		c := cs[0]
		if rt := c.Policy.GetRequestType(); rt != ds.Create.GetRequestType() {
			add(ds, ".requestType", "the server's policy %q is %s: a policy's request type never changes (give a new policy a new name)", ds.Name, rt)
			continue
		}
		if !sameScope(c.Policy.GetScope(), ds.Create.GetScope()) {
			add(ds, ".scope", "differs from the scope of the server's policy %q (%s): a policy's scope never changes (give a new policy a new name)", ds.Name, c.Policy.GetId())
			continue
		}
		a := Action{Kind: NewVersion, Desired: ds, Current: c}
		switch {
		case c.Active != nil && proto.Equal(c.Active.GetWorkflow(), ds.Create.GetWorkflow()):
			a.Kind = Unchanged
		case c.Latest.GetState() == policyv1.PolicyVersion_DRAFT && proto.Equal(c.Latest.GetWorkflow(), ds.Create.GetWorkflow()):
			a.Kind = ActivateDraft
		}
		plan.Actions = append(plan.Actions, a)
	}
	if err := errs.err(); err != nil {
		return Plan{}, err
	}
	return plan, nil
}

// Prune adds a Retire action for every policy of current that desired does not name and
// that governs something (an active version). The shipped system defaults are never
// retired: they are the level every other one falls back to.
func (p *Plan) Prune(desired []Desired, current []Current) {
	named := map[string]bool{}
	for _, ds := range desired {
		named[ds.Name] = true
	}
	for i := range current {
		c := &current[i]
		if named[c.Policy.GetName()] || c.Active == nil || c.Policy.GetLevel() == policyv1.Level_SYSTEM_DEFAULT {
			continue
		}
		p.Actions = append(p.Actions, Action{Kind: Retire, Current: c})
	}
}

func ids(cs []*Current) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Policy.GetId())
	}
	return strings.Join(out, ", ")
}

func level(s *policyv1.Scope) policyv1.Level {
	switch {
	case len(s.GetPermissions()) > 0:
		return policyv1.Level_PERMISSION
	case s.GetAppId() != "":
		return policyv1.Level_APP
	}
	return policyv1.Level_GLOBAL
}

func scopeField(s *policyv1.Scope) string {
	switch level(s) {
	case policyv1.Level_PERMISSION:
		return ".scope.permissions"
	case policyv1.Level_APP:
		return ".scope.app"
	}
	return ".scope"
}

// overlaps reports whether a new policy c would take a scope another policy holds, as the
// policy service refuses it: one global policy per request type (besides the system
// default), one per app, and no permission of an app in two permission policies.
func overlaps(c *policyv1.CreatePolicyRequest, rt typev1.RequestType, s *policyv1.Scope, l policyv1.Level) bool {
	if rt != c.GetRequestType() || l != level(c.GetScope()) {
		return false
	}
	switch l {
	case policyv1.Level_GLOBAL:
		return true
	case policyv1.Level_APP:
		return s.GetAppId() == c.GetScope().GetAppId()
	case policyv1.Level_PERMISSION:
		return s.GetAppId() == c.GetScope().GetAppId() && slices.ContainsFunc(s.GetPermissions(), func(p string) bool {
			return slices.Contains(c.GetScope().GetPermissions(), p)
		})
	}
	return false
}

func sameScope(a, b *policyv1.Scope) bool {
	pa, pb := slices.Clone(a.GetPermissions()), slices.Clone(b.GetPermissions())
	slices.Sort(pa)
	slices.Sort(pb)
	return a.GetAppId() == b.GetAppId() && slices.Equal(pa, pb)
}

// Write prints the plan as apply and diff show it: a line per policy, and for a new
// version the lines of the workflow that change, in the file's format.
func (p Plan) Write(w io.Writer, dir Directory) {
	for _, a := range p.Actions {
		switch a.Kind {
		case Unchanged:
			fmt.Fprintf(w, "  %q unchanged (version %d)\n", a.Desired.Name, a.Current.Policy.GetActiveVersion())
		case Create:
			fmt.Fprintf(w, "+ %q created (%s) and its version 1 activated\n", a.Desired.Name, governs(a.Desired.Create.GetRequestType(), a.Desired.Create.GetScope(), dir))
			writeLines(w, "    + ", workflowLines(a.Desired.Create.GetWorkflow(), dir))
		case ActivateDraft:
			fmt.Fprintf(w, "~ %q: its draft version %d activated (it has the file's workflow)\n", a.Desired.Name, a.Current.Latest.GetVersion())
			writeDiff(w, workflowLines(a.Current.Workflow(), dir), workflowLines(a.Desired.Create.GetWorkflow(), dir))
		case Retire:
			fmt.Fprintf(w, "- %q retired (%s; version %d active until now): the file does not name it\n", a.Current.Policy.GetName(), governs(a.Current.Policy.GetRequestType(), a.Current.Policy.GetScope(), dir), a.Current.Policy.GetActiveVersion())
		case NewVersion:
			fmt.Fprintf(w, "~ %q: new version %d, activated (the workflow differs from %s)\n", a.Desired.Name, a.Current.Policy.GetLatestVersion()+1, activeWords(a.Current))
			writeDiff(w, workflowLines(a.Current.Workflow(), dir), workflowLines(a.Desired.Create.GetWorkflow(), dir))
		}
	}
	n := p.Changes()
	switch {
	case len(p.Actions) == 0:
		fmt.Fprintln(w, "The file names no policy: nothing to do.")
	case n == 0:
		fmt.Fprintf(w, "No changes: the server matches the file (%d policies).\n", len(p.Actions))
	default:
		fmt.Fprintf(w, "%d of %d policies differ from the file.\n", n, len(p.Actions))
	}
}

func activeWords(c *Current) string {
	if c.Active == nil {
		return "the server's: no version is active"
	}
	return fmt.Sprintf("active version %d", c.Active.GetVersion())
}

// governs says what a policy applies to: "GRANT_ACCESS on GitHub (admin)".
func governs(rt typev1.RequestType, s *policyv1.Scope, dir Directory) string {
	out := rt.String()
	if s.GetAppId() != "" {
		out += " on " + dir.appName(s.GetAppId())
	}
	if len(s.GetPermissions()) > 0 {
		out += " (" + strings.Join(s.GetPermissions(), ", ") + ")"
	}
	if s.GetAppId() == "" {
		out += ", global"
	}
	return out
}

func workflowLines(wf *typev1.Workflow, dir Directory) []string {
	if wf == nil {
		return nil
	}
	raw, err := marshal(dir.fileWorkflow(wf))
	if err != nil {
		return []string{err.Error()}
	}
	return strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
}

func writeLines(w io.Writer, prefix string, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(w, prefix+l)
	}
}

// writeDiff prints the lines of b against a: "-" for a line only a has, "+" for one only b
// has, and the lines both keep (a longest common subsequence: workflows are short).
func writeDiff(w io.Writer, a, b []string) {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			fmt.Fprintln(w, "      "+a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintln(w, "    - "+a[i])
			i++
		default:
			fmt.Fprintln(w, "    + "+b[j])
			j++
		}
	}
}
