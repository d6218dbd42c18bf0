package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/policy/internal/app"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// Public implements grantflow.policy.v1.PolicyService, the whole of the policy service's
// API: it has no internal service (the request service resolves through the public
// ResolvePolicy, as any caller may) and receives no events.
type Public struct {
	policyv1.UnimplementedPolicyServiceServer
	App *app.Service
}

func (h *Public) CreatePolicy(ctx context.Context, r *policyv1.CreatePolicyRequest) (*policyv1.Policy, error) {
	return pbconv.Reply(policyPB)(h.App.CreatePolicy(ctx, app.NewPolicy{
		Name: r.GetName(), RequestType: requestTypeFromPB(r.GetRequestType()),
		Scope: scopeFromPB(r.GetScope()), Workflow: pbconv.WorkflowFromPB(r.GetWorkflow()),
	}))
}

func (h *Public) GetPolicy(ctx context.Context, r *policyv1.GetPolicyRequest) (*policyv1.Policy, error) {
	return pbconv.Reply(policyPB)(h.App.GetPolicy(ctx, r.GetId()))
}

func (h *Public) ListPolicies(ctx context.Context, r *policyv1.ListPoliciesRequest) (*policyv1.ListPoliciesResponse, error) {
	f := store.PolicyFilter{RequestType: requestTypeFromPB(r.GetRequestType()), AppID: r.GetAppId()}
	ps, next, err := h.App.ListPolicies(ctx, f, r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&policyv1.ListPoliciesResponse{Policies: pbconv.Map(ps, policyPB), NextPageToken: next}, err)
}

func (h *Public) CreatePolicyVersion(ctx context.Context, r *policyv1.CreatePolicyVersionRequest) (*policyv1.PolicyVersion, error) {
	return pbconv.Reply(versionPB)(h.App.CreateVersion(ctx, r.GetPolicyId(), pbconv.WorkflowFromPB(r.GetWorkflow())))
}

func (h *Public) ListPolicyVersions(ctx context.Context, r *policyv1.ListPolicyVersionsRequest) (*policyv1.ListPolicyVersionsResponse, error) {
	vs, next, err := h.App.ListVersions(ctx, r.GetPolicyId(), r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&policyv1.ListPolicyVersionsResponse{Versions: pbconv.Map(vs, versionPB), NextPageToken: next}, err)
}

func (h *Public) GetPolicyVersion(ctx context.Context, r *policyv1.GetPolicyVersionRequest) (*policyv1.PolicyVersion, error) {
	return pbconv.Reply(versionPB)(h.App.GetVersion(ctx, r.GetPolicyId(), r.GetVersion()))
}

func (h *Public) UpdatePolicyVersion(ctx context.Context, r *policyv1.UpdatePolicyVersionRequest) (*policyv1.PolicyVersion, error) {
	return pbconv.Reply(versionPB)(h.App.UpdateVersion(ctx, r.GetPolicyId(), r.GetVersion(), pbconv.WorkflowFromPB(r.GetWorkflow()), r.GetEtag()))
}

func (h *Public) DeletePolicyVersion(ctx context.Context, r *policyv1.DeletePolicyVersionRequest) (*emptypb.Empty, error) {
	return pbconv.Empty(h.App.DeleteVersion(ctx, r.GetPolicyId(), r.GetVersion()))
}

func (h *Public) ActivatePolicyVersion(ctx context.Context, r *policyv1.ActivatePolicyVersionRequest) (*policyv1.PolicyVersion, error) {
	return pbconv.Reply(versionPB)(h.App.ActivateVersion(ctx, r.GetPolicyId(), r.GetVersion()))
}

func (h *Public) ResolvePolicy(ctx context.Context, r *policyv1.ResolvePolicyRequest) (*policyv1.ResolvePolicyResponse, error) {
	m, err := h.App.Resolve(ctx, requestTypeFromPB(r.GetRequestType()), r.GetAppId(), r.GetPermission())
	if err != nil {
		return nil, err
	}
	a := m.Active
	return &policyv1.ResolvePolicyResponse{
		PolicyId:   a.Policy.ID,
		Version:    a.Version.Version,
		Level:      pbconv.Value[policyv1.Level](policyv1.Level_value, m.Level),
		Workflow:   pbconv.WorkflowPB(a.Version.Workflow),
		PolicyName: a.Policy.Name,
		Reason:     m.Reason,
	}, nil
}

func (h *Public) RetirePolicy(ctx context.Context, r *policyv1.RetirePolicyRequest) (*policyv1.Policy, error) {
	return pbconv.Reply(policyPB)(h.App.RetirePolicy(ctx, r.GetId()))
}
