package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

func (c *cmdEnv) requests() *cobra.Command {
	cmd := &cobra.Command{Use: "requests", Aliases: []string{"request"}, Short: "Submit, list, get and cancel requests"}
	c.outputFlag(cmd)
	cmd.AddCommand(c.requestsSubmit(), c.requestsList(), c.requestsGet(), c.requestsCancel())
	return cmd
}

func (c *cmdEnv) requestsSubmit() *cobra.Command {
	var typ, app, perm, user, reason, requestID string
	cmd := &cobra.Command{
		Use:   "submit --type T --app APP_ID --permission P [--user USER_ID] [--reason R] [--request-id ID]",
		Short: "Submit a request (POST /v1/requests)",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, _ []string) error {
			t, err := enumValue("type", typ, typev1.RequestType(0).Descriptor())
			if err != nil {
				return err
			}
			in := &requestv1.SubmitRequestRequest{
				RequestId: requestID, Type: typev1.RequestType(t), AppId: app, Permission: perm,
				TargetUserId: user, Reason: reason,
			}
			var r requestv1.Request
			if err := cl.Do(ctx, http.MethodPost, "/v1/requests", nil, in, &r); err != nil {
				return err
			}
			return out.print(&r, func() *Table { return requestTable(&r, lookupNames(ctx, cl)) })
		}),
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "the request type: "+strings.Join(enumNames(typev1.RequestType(0).Descriptor()), ", "))
	f.StringVar(&app, "app", "", "the app's id")
	f.StringVar(&perm, "permission", "", "the permission")
	f.StringVar(&user, "user", "", "the target user's id (default: you)")
	f.StringVar(&reason, "reason", "", "why")
	f.StringVar(&requestID, "request-id", "", "a UUID of your choosing that makes the submit safe to retry")
	_ = cmd.MarkFlagRequired("type")
	_ = cmd.RegisterFlagCompletionFunc("type", enumCompletion(typev1.RequestType(0).Descriptor()))
	return cmd
}

func (c *cmdEnv) requestsList() *cobra.Command {
	var status, requester, user, app, typ string
	cmd := &cobra.Command{
		Use:   "list [--status S] [--requester ID] [--user ID] [--app APP_ID] [--type T]",
		Short: "The request log: the requests you may see (GET /v1/requests)",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, _ []string) error {
			q := url.Values{}
			if s, err := enumValue("status", status, requestv1.Request_Status(0).Descriptor()); err != nil {
				return err
			} else if s != 0 {
				q.Set("status", requestv1.Request_Status(s).String())
			}
			if t, err := enumValue("type", typ, typev1.RequestType(0).Descriptor()); err != nil {
				return err
			} else if t != 0 {
				q.Set("type", typev1.RequestType(t).String())
			}
			for k, v := range map[string]string{"requesterId": requester, "targetUserId": user, "appId": app} {
				if v != "" {
					q.Set(k, v)
				}
			}
			all := &requestv1.ListRequestsResponse{}
			err := pages(ctx, cl, "/v1/requests", q, func() *requestv1.ListRequestsResponse { return &requestv1.ListRequestsResponse{} },
				(*requestv1.ListRequestsResponse).GetNextPageToken, func(p *requestv1.ListRequestsResponse) { all.Requests = append(all.Requests, p.GetRequests()...) })
			if err != nil {
				return err
			}
			return out.print(all, func() *Table {
				n := lookupNames(ctx, cl)
				t := &Table{Header: []string{"ID", "STATUS", "TYPE", "FOR"}, Shrink: []bool{false, false, false, true}, Empty: "No requests."}
				for _, r := range all.GetRequests() {
					t.Rows = append(t.Rows, []string{r.GetId(), r.GetStatus().String(), r.GetType().String(), strings.TrimSpace(n.app(r.GetAppId()) + " " + r.GetPermission())})
				}
				return t
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only requests in this status: "+strings.Join(enumNames(requestv1.Request_Status(0).Descriptor()), ", "))
	f.StringVar(&requester, "requester", "", "only requests of this requester (user id)")
	f.StringVar(&user, "user", "", "only requests about this user (user id)")
	f.StringVar(&app, "app", "", "only requests on this app (app id)")
	f.StringVar(&typ, "type", "", "only requests of this type")
	_ = cmd.RegisterFlagCompletionFunc("status", enumCompletion(requestv1.Request_Status(0).Descriptor()))
	_ = cmd.RegisterFlagCompletionFunc("type", enumCompletion(typev1.RequestType(0).Descriptor()))
	return cmd
}

func (c *cmdEnv) requestsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "A request (GET /v1/requests/{id})",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var r requestv1.Request
			if err := cl.Do(ctx, http.MethodGet, "/v1/requests/"+url.PathEscape(args[0]), nil, nil, &r); err != nil {
				return err
			}
			return out.print(&r, func() *Table { return requestTable(&r, lookupNames(ctx, cl)) })
		}),
	}
}

func (c *cmdEnv) requestsCancel() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ID [--reason R]",
		Short: "Cancel a request (POST /v1/requests/{id}:cancel)",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var r requestv1.Request
			in := &requestv1.CancelRequestRequest{Reason: reason}
			if err := cl.Do(ctx, http.MethodPost, "/v1/requests/"+url.PathEscape(args[0])+":cancel", nil, in, &r); err != nil {
				return err
			}
			return out.print(&r, func() *Table { return requestTable(&r, lookupNames(ctx, cl)) })
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the request's history")
	return cmd
}

// requestTable is one request, field by field.
func requestTable(r *requestv1.Request, n names) *Table {
	policy := ""
	if r.GetPolicyId() != "" {
		policy = fmt.Sprintf("%s v%d", r.GetPolicyId(), r.GetPolicyVersion())
		if r.GetPolicyLevel() != "" {
			policy += " (" + r.GetPolicyLevel() + ")"
		}
	}
	t := fields(
		"ID", r.GetId(),
		"TYPE", r.GetType().String(),
		"STATUS", r.GetStatus().String(),
		"STAGE", r.GetStage().String(),
		"REQUESTER", n.user(r.GetRequesterId()),
		"USER", n.user(r.GetTargetUserId()),
		"APP", n.app(r.GetAppId()),
		"PERMISSION", r.GetPermission(),
		"REASON", r.GetReason(),
		"POLICY", policy,
		"CREATED", when(r.GetCreateTime()),
		"UPDATED", when(r.GetUpdateTime()),
	)
	for i, id := range r.GetTaskIds() {
		key := ""
		if i == 0 {
			key = "TASKS"
		}
		t.Rows = append(t.Rows, []string{key, id})
	}
	if r.GetFailureReason() != "" {
		t.Rows = append(t.Rows, []string{"FAILURE", r.GetFailureReason()})
	}
	return t
}
