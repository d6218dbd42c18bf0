package policyfile

import (
	"bytes"
	"fmt"

	"github.com/goccy/go-yaml"

	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// Export writes the server's policies that have an active version as a policies file, in
// the order given, with the names the directory knows (an id it does not know is written
// as it is, and apply will name it). Applying the result changes nothing.
func Export(current []Current, dir Directory) ([]byte, error) {
	f := File{Version: Version, Policies: []Policy{}}
	for _, c := range current {
		if c.Active == nil {
			continue
		}
		p := Policy{Name: c.Policy.GetName(), RequestType: c.Policy.GetRequestType().String(), Workflow: dir.fileWorkflow(c.Workflow())}
		if s := c.Policy.GetScope(); s.GetAppId() != "" || len(s.GetPermissions()) > 0 {
			p.Scope = &Scope{App: dir.appName(s.GetAppId()), Permissions: s.GetPermissions()}
		}
		f.Policies = append(f.Policies, p)
	}
	raw, err := marshal(f)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Grantflow policies (grantflow policies export): apply with grantflow policies apply -f FILE.\n")
	fmt.Fprintf(&b, "# Format: docs/POLICIES-AS-CODE.md. Apps and groups by name, users by email.\n")
	b.Write(raw)
	return b.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	return yaml.MarshalWithOptions(v, yaml.Indent(2), yaml.IndentSequence(true))
}

func (dir Directory) appName(id string) string {
	for _, a := range dir.Apps {
		if a.GetId() == id {
			return a.GetName()
		}
	}
	return id
}

// fileWorkflow is a workflow in the file's terms: groups by name, users by email, and a
// review step's ANY (the default) left out.
func (dir Directory) fileWorkflow(wf *typev1.Workflow) Workflow {
	var out Workflow
	for _, s := range wf.GetReviewSteps() {
		out.ReviewSteps = append(out.ReviewSteps, dir.fileStep(s))
	}
	if wf.GetActionStep() != nil {
		st := dir.fileStep(wf.GetActionStep())
		out.ActionStep = &st
	}
	return out
}

func (dir Directory) fileStep(s *typev1.Step) Step {
	out := Step{Name: s.GetName(), MinApprovals: s.GetMinApprovals()}
	if a := s.GetApproval(); a != typev1.Approval_APPROVAL_UNSPECIFIED && a != typev1.Approval_ANY {
		out.Approval = a.String()
	}
	as := s.GetAssignee()
	out.Assignee = Assignee{Kind: as.GetKind().String(), CustomRole: as.GetCustomRole()}
	for _, id := range as.GetGroupIds() {
		name := id
		for _, g := range dir.Groups {
			if g.GetId() == id {
				name = g.GetName()
			}
		}
		out.Assignee.Groups = append(out.Assignee.Groups, name)
	}
	for _, id := range as.GetUserIds() {
		email := id
		for _, u := range dir.Users {
			if u.GetId() == id {
				email = u.GetEmail()
			}
		}
		out.Assignee.Users = append(out.Assignee.Users, email)
	}
	return out
}
