package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

func (c *cmdEnv) tasks() *cobra.Command {
	cmd := &cobra.Command{Use: "tasks", Aliases: []string{"task"}, Short: "Your inbox: list, approve, decline, complete and reassign tasks"}
	c.outputFlag(cmd)
	cmd.AddCommand(c.tasksList(), c.tasksGet(),
		c.taskDecision("approve", "Approve a review task (POST /v1/tasks/{id}:approve)", "justification"),
		c.taskDecision("decline", "Decline a review task (POST /v1/tasks/{id}:decline)", "justification"),
		c.taskDecision("complete", "Complete an action or standalone task (POST /v1/tasks/{id}:complete)", "note"),
		c.tasksReassign())
	return cmd
}

func (c *cmdEnv) tasksList() *cobra.Command {
	var status, request, assignee string
	cmd := &cobra.Command{
		Use:   "list [--status S] [--request REQUEST_ID] [--assignee USER_ID]",
		Short: "Tasks: your own, or everyone's for Admin and GM (GET /v1/tasks)",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, _ []string) error {
			q := url.Values{}
			if s, err := enumValue("status", status, taskv1.Task_Status(0).Descriptor()); err != nil {
				return err
			} else if s != 0 {
				q.Set("status", taskv1.Task_Status(s).String())
			}
			if request != "" {
				q.Set("requestId", request)
			}
			if assignee != "" {
				q.Set("assigneeId", assignee)
			}
			all := &taskv1.ListTasksResponse{}
			err := pages(ctx, cl, "/v1/tasks", q, func() *taskv1.ListTasksResponse { return &taskv1.ListTasksResponse{} },
				(*taskv1.ListTasksResponse).GetNextPageToken, func(p *taskv1.ListTasksResponse) { all.Tasks = append(all.Tasks, p.GetTasks()...) })
			if err != nil {
				return err
			}
			return out.print(all, func() *Table {
				t := &Table{Header: []string{"ID", "STATUS", "STEP", "ACTION"}, Shrink: []bool{false, false, true, true}, Empty: "No tasks."}
				for _, k := range all.GetTasks() {
					step := k.GetStepName()
					if step == "" {
						step = strings.ToLower(k.GetType().String())
					}
					t.Rows = append(t.Rows, []string{k.GetId(), k.GetStatus().String(), step, k.GetAction()})
				}
				return t
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only tasks in this status: "+strings.Join(enumNames(taskv1.Task_Status(0).Descriptor()), ", "))
	f.StringVar(&request, "request", "", "only the tasks of this request (request id)")
	f.StringVar(&assignee, "assignee", "", "only the tasks of this assignee (user id)")
	_ = cmd.RegisterFlagCompletionFunc("status", enumCompletion(taskv1.Task_Status(0).Descriptor()))
	return cmd
}

func (c *cmdEnv) tasksGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "A task with its history (GET /v1/tasks/{id})",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var t taskv1.Task
			if err := cl.Do(ctx, http.MethodGet, "/v1/tasks/"+url.PathEscape(args[0]), nil, nil, &t); err != nil {
				return err
			}
			return out.print(&t, func() *Table { return taskTable(&t, lookupNames(ctx, cl)) })
		}),
	}
}

// taskDecision is approve, decline or complete: one id, one text flag.
func (c *cmdEnv) taskDecision(verb, short, textFlag string) *cobra.Command {
	var text string
	cmd := &cobra.Command{
		Use:   fmt.Sprintf("%s ID [--%s TEXT]", verb, textFlag),
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var in proto.Message
			switch verb {
			case "approve":
				in = &taskv1.ApproveTaskRequest{Justification: text}
			case "decline":
				in = &taskv1.DeclineTaskRequest{Justification: text}
			default:
				in = &taskv1.CompleteTaskRequest{Note: text}
			}
			var t taskv1.Task
			if err := cl.Do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(args[0])+":"+verb, nil, in, &t); err != nil {
				return err
			}
			return out.print(&t, func() *Table { return taskTable(&t, lookupNames(ctx, cl)) })
		}),
	}
	usage := "why, for the task's history"
	if textFlag == "note" {
		usage = "a note for the task's history (what was done)"
	}
	cmd.Flags().StringVar(&text, textFlag, "", usage)
	return cmd
}

func (c *cmdEnv) tasksReassign() *cobra.Command {
	var assignees []string
	var note string
	cmd := &cobra.Command{
		Use:   "reassign ID --assignee USER_ID [--assignee USER_ID ...] [--note N]",
		Short: "Give a task to other people (POST /v1/tasks/{id}:reassign; Admin, GM)",
		Args:  cobra.ExactArgs(1),
		RunE: c.run(func(ctx context.Context, cl *Client, out printer, args []string) error {
			var t taskv1.Task
			in := &taskv1.ReassignTaskRequest{AssigneeIds: assignees, Note: note}
			if err := cl.Do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(args[0])+":reassign", nil, in, &t); err != nil {
				return err
			}
			return out.print(&t, func() *Table { return taskTable(&t, lookupNames(ctx, cl)) })
		}),
	}
	cmd.Flags().StringSliceVar(&assignees, "assignee", nil, "the new assignees' user ids (repeatable, or comma-separated)")
	cmd.Flags().StringVar(&note, "note", "", "why, for the task's history")
	_ = cmd.MarkFlagRequired("assignee")
	return cmd
}

// taskTable is one task, field by field, then its history.
func taskTable(k *taskv1.Task, n names) *Table {
	decision := ""
	if k.GetDecision() != taskv1.Task_DECISION_UNSPECIFIED {
		decision = fmt.Sprintf("%s by %s", k.GetDecision(), n.user(k.GetDecidedBy()))
	} else if k.GetDecidedBy() != "" {
		decision = "by " + n.user(k.GetDecidedBy())
	}
	assignees := n.people(k.GetAssigneeIds())
	if assignees == "" {
		assignees = strings.ToLower(k.GetAssignee().GetKind().String())
	}
	t := fields(
		"ID", k.GetId(),
		"TYPE", k.GetType().String(),
		"STATUS", k.GetStatus().String(),
		"REQUEST", k.GetRequestId(),
		"STEP", k.GetStepName(),
		"ACTION", k.GetAction(),
		"ASSIGNEES", assignees,
		"DECISION", decision,
		"JUSTIFICATION", k.GetJustification(),
	)
	for _, h := range k.GetHistory() {
		line := h.GetEvent() + " by " + n.user(h.GetActorId())
		if h.GetNote() != "" {
			line += ": " + h.GetNote()
		}
		t.Rows = append(t.Rows, []string{"HISTORY", when(h.GetTime()) + " " + line})
	}
	return t
}
