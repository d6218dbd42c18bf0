package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
)

func (c *cmdEnv) reviews() *cobra.Command {
	cmd := &cobra.Command{Use: "reviews", Aliases: []string{"review"}, Short: "Access reviews: list and get campaigns, their items, decide, export"}
	c.outputFlag(cmd)
	cmd.AddCommand(c.reviewsList(), c.reviewsGet(), c.reviewsItems(), c.reviewsDecide(), c.reviewsExport())
	return cmd
}

func reviewPath(id string) string { return "/v1/accessReviews/" + url.PathEscape(id) }

func reviewTable(r *reviewv1.AccessReview) *Table {
	p := r.GetProgress()
	t := &Table{Header: []string{"FIELD", "VALUE"}, Shrink: []bool{false, true}}
	t.Rows = append(t.Rows, [][]string{
		{"ID", r.GetId()}, {"NAME", r.GetName()}, {"STATUS", r.GetStatus().String()},
		{"REVIEWER", r.GetReviewer().GetKind().String()},
		{"PROGRESS", fmt.Sprintf("%d items: %d pending, %d kept, %d changed, %d removed, %d blocked, %d not reviewed",
			p.GetTotal(), p.GetPending(), p.GetKept(), p.GetChanged(), p.GetRemoved(), p.GetBlocked(), p.GetNotReviewed())},
	}...)
	return t
}

func (c *cmdEnv) reviewsList() *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:   "list [--status S]",
		Short: "The campaigns you may see (GET /v1/accessReviews)",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, _ []string) error {
			q := url.Values{}
			if s, err := enumValue("status", status, reviewv1.AccessReview_Status(0).Descriptor()); err != nil {
				return err
			} else if s != 0 {
				q.Set("status", reviewv1.AccessReview_Status(s).String())
			}
			all := &reviewv1.ListAccessReviewsResponse{}
			err := pages(ctx, cl, "/v1/accessReviews", q, func() *reviewv1.ListAccessReviewsResponse { return &reviewv1.ListAccessReviewsResponse{} },
				(*reviewv1.ListAccessReviewsResponse).GetNextPageToken, func(p *reviewv1.ListAccessReviewsResponse) {
					all.AccessReviews = append(all.AccessReviews, p.GetAccessReviews()...)
				})
			if err != nil {
				return err
			}
			return out.print(all, func() *Table {
				t := &Table{Header: []string{"ID", "STATUS", "PENDING", "NAME"}, Shrink: []bool{false, false, false, true}, Empty: "No access reviews."}
				for _, r := range all.GetAccessReviews() {
					t.Rows = append(t.Rows, []string{r.GetId(), r.GetStatus().String(),
						strconv.FormatInt(r.GetProgress().GetPending(), 10) + "/" + strconv.FormatInt(r.GetProgress().GetTotal(), 10), r.GetName()})
				}
				return t
			})
		}),
	}
	cmd.Flags().StringVar(&status, "status", "", "only campaigns in this status: "+strings.Join(enumNames(reviewv1.AccessReview_Status(0).Descriptor()), ", "))
	_ = cmd.RegisterFlagCompletionFunc("status", enumCompletion(reviewv1.AccessReview_Status(0).Descriptor()))
	return cmd
}

func (c *cmdEnv) reviewsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "A campaign with its progress (GET /v1/accessReviews/{id})",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var r reviewv1.AccessReview
			if err := cl.Do(ctx, http.MethodGet, reviewPath(args[0]), nil, nil, &r); err != nil {
				return err
			}
			return out.print(&r, func() *Table { return reviewTable(&r) })
		}),
	}
}

func (c *cmdEnv) reviewsItems() *cobra.Command {
	var status, reviewer string
	cmd := &cobra.Command{
		Use:   "items ID [--status S] [--reviewer USER_ID]",
		Short: "A campaign's items you may see (GET /v1/accessReviews/{id}/items)",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			q := url.Values{}
			if s, err := enumValue("status", status, reviewv1.AccessReviewItem_Status(0).Descriptor()); err != nil {
				return err
			} else if s != 0 {
				q.Set("status", reviewv1.AccessReviewItem_Status(s).String())
			}
			if reviewer != "" {
				q.Set("reviewerId", reviewer)
			}
			all := &reviewv1.ListAccessReviewItemsResponse{}
			err := pages(ctx, cl, reviewPath(args[0])+"/items", q, func() *reviewv1.ListAccessReviewItemsResponse { return &reviewv1.ListAccessReviewItemsResponse{} },
				(*reviewv1.ListAccessReviewItemsResponse).GetNextPageToken, func(p *reviewv1.ListAccessReviewItemsResponse) { all.Items = append(all.Items, p.GetItems()...) })
			if err != nil {
				return err
			}
			return out.print(all, func() *Table {
				t := &Table{Header: []string{"ITEM", "STATUS", "ACCESS"}, Shrink: []bool{false, false, true}, Empty: "No items."}
				for _, it := range all.GetItems() {
					who := it.GetUserEmail()
					if who == "" {
						who = it.GetUserId()
					}
					app := it.GetAppName()
					if app == "" {
						app = it.GetAppId()
					}
					st := it.GetStatus().String()
					if it.GetDecision() != reviewv1.AccessReviewItem_DECISION_UNSPECIFIED {
						st += " " + it.GetDecision().String()
					}
					t.Rows = append(t.Rows, []string{it.GetId(), st, who + " " + app + " " + it.GetPermission()})
				}
				return t
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only items in this status: "+strings.Join(enumNames(reviewv1.AccessReviewItem_Status(0).Descriptor()), ", "))
	f.StringVar(&reviewer, "reviewer", "", "only the items this person reviews (user id)")
	_ = cmd.RegisterFlagCompletionFunc("status", enumCompletion(reviewv1.AccessReviewItem_Status(0).Descriptor()))
	return cmd
}

func (c *cmdEnv) reviewsDecide() *cobra.Command {
	var decision, permission, justification string
	cmd := &cobra.Command{
		Use:   "decide ID ITEM_ID --decision KEEP|CHANGE|REMOVE [--permission P] [--justification J]",
		Short: "Decide an item (POST /v1/accessReviews/{id}/items/{itemId}:decide); CHANGE and REMOVE open a request",
		Args:  cobra.ExactArgs(2),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			d, err := enumValue("decision", decision, reviewv1.AccessReviewItem_Decision(0).Descriptor())
			if err != nil {
				return err
			}
			in := &reviewv1.DecideAccessReviewItemRequest{Decision: reviewv1.AccessReviewItem_Decision(d), Permission: permission, Justification: justification}
			var it reviewv1.AccessReviewItem
			if err := cl.Do(ctx, http.MethodPost, reviewPath(args[0])+"/items/"+url.PathEscape(args[1])+":decide", nil, in, &it); err != nil {
				return err
			}
			return out.print(&it, func() *Table {
				t := &Table{Header: []string{"FIELD", "VALUE"}, Shrink: []bool{false, true}}
				t.Rows = append(t.Rows, []string{"ITEM", it.GetId()}, []string{"STATUS", it.GetStatus().String()},
					[]string{"DECISION", it.GetDecision().String()}, []string{"REQUEST", it.GetRequestId()})
				return t
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&decision, "decision", "", "KEEP, CHANGE or REMOVE")
	f.StringVar(&permission, "permission", "", "CHANGE: the new permission, one the app has")
	f.StringVar(&justification, "justification", "", "why")
	_ = cmd.MarkFlagRequired("decision")
	_ = cmd.RegisterFlagCompletionFunc("decision", enumCompletion(reviewv1.AccessReviewItem_Decision(0).Descriptor()))
	return cmd
}

func (c *cmdEnv) reviewsExport() *cobra.Command {
	return &cobra.Command{
		Use:   "export ID",
		Short: "Write a campaign as CSV, one row per item (GET /v1/accessReviews/{id}:export)",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, _ printer, args []string) error {
			body, err := cl.Stream(ctx, reviewPath(args[0])+":export")
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = io.Copy(c.env.Stdout, body)
			return err
		}),
	}
}
