package grpcapi

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
)

func TestWorkflowSurvivesTheWire(t *testing.T) {
	w := domain.Workflow{
		ReviewSteps: []domain.Step{
			{Name: "Groups", Assignee: domain.Assignee{Kind: domain.UserGroups, GroupIDs: []string{"g1", "g2"}}, Approval: domain.ApprovalAll},
			{Name: "Pair", Assignee: domain.Assignee{Kind: domain.Users, UserIDs: []string{"u1", "u2"}}, Approval: domain.ApprovalQuorum, MinApprovals: 2},
			{Name: "Role", Assignee: domain.Assignee{Kind: domain.CustomRole, CustomRole: "security"}, Approval: domain.ApprovalAny},
			{Name: "Privileged", Assignee: domain.Assignee{Kind: domain.PrivilegedUsers}, Approval: domain.ApprovalAny},
		},
		ActionStep: domain.Step{Name: "Agent", Assignee: domain.Assignee{Kind: domain.Agent}},
	}
	if diff := cmp.Diff(w, pbconv.WorkflowFromPB(pbconv.WorkflowPB(w)), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	// Unspecified enums arrive as "": the domain names them as missing.
	got := pbconv.StepFromPB(&typev1.Step{Name: "x", Assignee: &typev1.Assignee{}})
	if got.Assignee.Kind != "" || got.Approval != "" {
		t.Fatalf("unspecified: %+v", got)
	}
	if requestTypeFromPB(typev1.RequestType_REQUEST_TYPE_UNSPECIFIED) != "" || requestTypePB(domain.ArchiveApp) != typev1.RequestType_ARCHIVE_APP {
		t.Fatal("request types")
	}
}

func TestVersionAndPolicyToProto(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := versionPB(domain.Version{PolicyID: "p", Version: 2, State: domain.StateActive, CreateTime: now, UpdateTime: now, ActivateTime: now, Revision: 3})
	if v.GetState() != policyv1.PolicyVersion_ACTIVE || v.GetRetireTime() != nil || !v.GetActivateTime().AsTime().Equal(now) || v.GetEtag() != `"3"` {
		t.Fatalf("version: %v", v)
	}
	p := policyPB(domain.Policy{ID: "p", RequestType: domain.GrantAccess, Level: domain.LevelPermission, Scope: domain.Scope{AppID: "a", Permissions: []string{"admin"}}})
	if p.GetLevel() != policyv1.Level_PERMISSION || p.GetRequestType() != typev1.RequestType_GRANT_ACCESS || p.GetScope().GetPermissions()[0] != "admin" {
		t.Fatalf("policy: %v", p)
	}
}
