package grpcapi

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/services/policy/internal/app"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
)

// Enums travel by name: the domain's strings are the proto enum names, and an unspecified
// value becomes "" (which the domain's validation names as missing).

func requestTypeFromPB(t typev1.RequestType) domain.RequestType {
	if t == typev1.RequestType_REQUEST_TYPE_UNSPECIFIED {
		return ""
	}
	return domain.RequestType(t.String())
}

func requestTypePB(t domain.RequestType) typev1.RequestType {
	return typev1.RequestType(typev1.RequestType_value[string(t)])
}

func levelPB(l domain.Level) policyv1.Level {
	return policyv1.Level(policyv1.Level_value[string(l)])
}

func statePB(s domain.State) policyv1.PolicyVersion_State {
	return policyv1.PolicyVersion_State(policyv1.PolicyVersion_State_value[string(s)])
}

func scopeFromPB(s *policyv1.Scope) domain.Scope {
	return domain.Scope{AppID: s.GetAppId(), Permissions: s.GetPermissions()}
}

func scopePB(s domain.Scope) *policyv1.Scope {
	return &policyv1.Scope{AppId: s.AppID, Permissions: nonNil(s.Permissions)}
}

func workflowFromPB(w *typev1.Workflow) domain.Workflow {
	out := domain.Workflow{ActionStep: stepFromPB(w.GetActionStep()), MaxAccessDuration: w.GetMaxAccessDuration().AsDuration()}
	for _, s := range w.GetReviewSteps() {
		out.ReviewSteps = append(out.ReviewSteps, stepFromPB(s))
	}
	return out
}

func stepFromPB(s *typev1.Step) domain.Step {
	a := s.GetAssignee()
	out := domain.Step{
		Name: s.GetName(),
		Assignee: domain.Assignee{
			CustomRole: a.GetCustomRole(),
			GroupIDs:   a.GetGroupIds(),
			UserIDs:    a.GetUserIds(),
		},
		MinApprovals: s.GetMinApprovals(),
	}
	if k := a.GetKind(); k != typev1.AssigneeKind_ASSIGNEE_KIND_UNSPECIFIED {
		out.Assignee.Kind = domain.AssigneeKind(k.String())
	}
	if ap := s.GetApproval(); ap != typev1.Approval_APPROVAL_UNSPECIFIED {
		out.Approval = domain.Approval(ap.String())
	}
	out.DueAfter = s.GetDueAfter().AsDuration()
	if e := s.GetEscalation(); e != nil {
		out.Escalation = &domain.Escalation{After: e.GetAfter().AsDuration(), UserIDs: e.GetUserIds()}
		if e.GetTo() != typev1.Escalation_TARGET_UNSPECIFIED {
			out.Escalation.To = e.GetTo().String()
		}
	}
	return out
}

func policyPB(p domain.Policy) *policyv1.Policy {
	return &policyv1.Policy{
		Id:            p.ID,
		Name:          p.Name,
		RequestType:   requestTypePB(p.RequestType),
		Scope:         scopePB(p.Scope),
		Level:         levelPB(p.Level),
		ActiveVersion: p.ActiveVersion,
		LatestVersion: p.LatestVersion,
		CreateTime:    timestamppb.New(p.CreateTime),
		UpdateTime:    timestamppb.New(p.UpdateTime),
		CreateBy:      p.CreateBy,
	}
}

func versionPB(v domain.Version) *policyv1.PolicyVersion {
	return &policyv1.PolicyVersion{
		PolicyId:     v.PolicyID,
		Version:      v.Version,
		State:        statePB(v.State),
		Workflow:     app.WorkflowPB(v.Workflow),
		CreateTime:   timestamppb.New(v.CreateTime),
		UpdateTime:   timestamppb.New(v.UpdateTime),
		ActivateTime: ts(v.ActivateTime),
		RetireTime:   ts(v.RetireTime),
		CreateBy:     v.CreateBy,
		Etag:         etag.Of(v.Revision),
	}
}

// ts is t as a timestamp, nil for the zero time (not yet activated or retired).
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
