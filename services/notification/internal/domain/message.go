package domain

import (
	"fmt"
	"strings"
	"time"
)

// Channel is how a message reaches a person.
type Channel int

const (
	ChannelUnspecified Channel = iota
	// Email over SMTP, to the person's address in the directory.
	Email
	// Slack: a direct message to the Slack user with the person's email.
	Slack
)

func (c Channel) String() string {
	switch c {
	case Email:
		return "EMAIL"
	case Slack:
		return "SLACK"
	}
	return "CHANNEL_UNSPECIFIED"
}

// ParseChannel is the inverse of String.
func ParseChannel(s string) Channel {
	switch s {
	case "EMAIL":
		return Email
	case "SLACK":
		return Slack
	}
	return ChannelUnspecified
}

// Channels are every channel, in the order a person's messages are made.
var Channels = []Channel{Email, Slack}

// Kind is what a message tells its person.
type Kind string

const (
	TaskOpened     Kind = "task_opened"
	TaskDue        Kind = "task_due"
	TaskReassigned Kind = "task_reassigned"
	TaskEscalated  Kind = "task_escalated"
	RequestClosed  Kind = "request_closed"
	ReviewLaunched Kind = "review_launched"
	ReviewReminder Kind = "review_reminder"
	AccessExpiring Kind = "access_expiring"
)

// Notice is what one event tells one person, before it is put into words: the facts of
// the event the text needs, and the console page it links to.
type Notice struct {
	Kind   Kind   `json:"kind"`
	UserID string `json:"userId"`
	// Path is the console page, under the console's URL (/requests/{id}, /inbox, ...).
	Path string `json:"path"`

	TaskType   string `json:"taskType,omitempty"`
	TaskAction string `json:"taskAction,omitempty"`
	StepName   string `json:"stepName,omitempty"`

	RequestID     string `json:"requestId,omitempty"`
	RequestType   string `json:"requestType,omitempty"`
	RequestStatus string `json:"requestStatus,omitempty"`
	AppID         string `json:"appId,omitempty"`
	NewAppName    string `json:"newAppName,omitempty"`
	Permission    string `json:"permission,omitempty"`
	// TargetUserID is whose access the request or the expiry is about.
	TargetUserID string `json:"targetUserId,omitempty"`
	Reason       string `json:"reason,omitempty"`

	ReviewName string `json:"reviewName,omitempty"`
	// DueTime: when the task or the review is due, or when the access expires.
	DueTime time.Time `json:"dueTime,omitzero"`
}

// Message is one notice on its way to one person over one channel: the log of what was
// sent. There is at most one per (event, person, channel).
type Message struct {
	ID        string
	EventID   string
	EventType string
	UserID    string
	Channel   Channel
	Notice    Notice
	// Link is the console URL the message carries.
	Link string
	// Seq is the store's order of messages (the order events were received).
	Seq int64

	// Title, Text and Address are what the last attempt sent, and where (the email
	// address, or the Slack user id): empty before the first attempt.
	Title, Text, Address string

	Status    Status
	Attempts  int32
	LastError string
	// NextAttemptTime is when the next attempt is due (Pending), or, while an attempt is
	// under way, when a dispatcher may take it over (the lease ends).
	NextAttemptTime time.Time
	// RetryUntil closes the retry window.
	RetryUntil time.Time
	SendTime   time.Time
	CreateTime time.Time
	UpdateTime time.Time
}

// Settings are one person's choice of channels; nil is "never set": the channel's default
// (on when the deployment has it configured).
type Settings struct {
	UserID     string
	Email      *bool
	Slack      *bool
	UpdateTime time.Time
}

// Wants reports whether the person wants messages over c, given whether the deployment
// has c configured (a channel that is not configured sends nothing).
func (s Settings) Wants(c Channel, configured bool) bool {
	if !configured {
		return false
	}
	var v *bool
	switch c {
	case Email:
		v = s.Email
	case Slack:
		v = s.Slack
	default:
		return false
	}
	return v == nil || *v
}

// Facts are what the directory says about the people and app of a notice, for its text.
type Facts struct {
	// Names are display names (or emails) by user id.
	Names map[string]string
	// AppName is the name of the notice's app.
	AppName string
}

func (f Facts) name(id string) string {
	if n := f.Names[id]; n != "" {
		return n
	}
	return "someone"
}

// Render puts a notice into words: a title (the email subject) and a text that says what
// is asked, ending with the link.
func Render(n Notice, f Facts, link string) (title, text string) {
	what := n.about(f)
	due := ""
	if !n.DueTime.IsZero() {
		due = n.DueTime.UTC().Format("Mon 2 Jan 2006 15:04 MST")
	}
	var b strings.Builder
	switch n.Kind {
	case TaskOpened, TaskReassigned, TaskEscalated, TaskDue:
		ask := n.taskAsk(what)
		switch n.Kind {
		case TaskOpened:
			title = "Action needed: " + ask
			fmt.Fprintf(&b, "A task waits for you: %s.", ask)
		case TaskReassigned:
			title = "Assigned to you: " + ask
			fmt.Fprintf(&b, "A task was reassigned to you: %s.", ask)
		case TaskEscalated:
			title = "Escalated to you: " + ask
			fmt.Fprintf(&b, "A task is overdue and was escalated to you: %s.", ask)
		case TaskDue:
			title = "Due: " + ask
			fmt.Fprintf(&b, "A task of yours is due and still waits for you: %s.", ask)
		}
		if n.StepName != "" {
			fmt.Fprintf(&b, " Step: %s.", n.StepName)
		}
		if n.Reason != "" {
			fmt.Fprintf(&b, " Reason given: %q.", n.Reason)
		}
		if due != "" {
			fmt.Fprintf(&b, " Due %s.", due)
		}
	case RequestClosed:
		status := strings.ToLower(n.RequestStatus)
		title = fmt.Sprintf("Your request is %s: %s", status, what)
		fmt.Fprintf(&b, "Your request (%s) is %s.", what, status)
	case ReviewLaunched:
		title = "Access review: " + n.ReviewName
		fmt.Fprintf(&b, "The access review %q has started and has accesses for you to review: keep, change or remove each.", n.ReviewName)
		if due != "" {
			fmt.Fprintf(&b, " Due %s.", due)
		}
	case ReviewReminder:
		title = "Reminder: access review " + n.ReviewName
		fmt.Fprintf(&b, "The access review %q still has accesses waiting for your decision.", n.ReviewName)
		if due != "" {
			fmt.Fprintf(&b, " Due %s.", due)
		}
	case AccessExpiring:
		title = "Your access expires soon: " + what
		fmt.Fprintf(&b, "Your access (%s) expires", what)
		if due != "" {
			fmt.Fprintf(&b, " %s", due)
		}
		b.WriteString(". To keep it, request it again before then.")
	default:
		title = "Grantflow"
		b.WriteString("Something in Grantflow needs your attention.")
	}
	fmt.Fprintf(&b, "\n\nOpen it in Grantflow: %s\n", link)
	return title, b.String()
}

// taskAsk says what a task asks, in a few words.
func (n Notice) taskAsk(what string) string {
	switch n.TaskType {
	case "REVIEW":
		return "review " + what
	case "ACTION":
		if n.TaskAction != "" {
			return n.TaskAction + " (" + what + ")"
		}
		return "carry out " + what
	}
	if n.TaskAction != "" {
		return n.TaskAction
	}
	if what != "" {
		return what
	}
	return "a task"
}

// about names a request or an access: "Uma User's request for Figma editor (GRANT_ACCESS)".
func (n Notice) about(f Facts) string {
	app := f.AppName
	if app == "" {
		app = n.NewAppName
	}
	if app == "" {
		app = n.AppID
	}
	subject := strings.TrimSpace(app + " " + n.Permission)
	switch {
	case n.Kind == AccessExpiring:
		return subject
	case n.RequestType == "" && n.RequestID == "":
		return ""
	case n.TargetUserID != "" && (n.Kind == TaskOpened || n.Kind == TaskDue || n.Kind == TaskReassigned || n.Kind == TaskEscalated):
		return fmt.Sprintf("%s's request for %s (%s)", f.name(n.TargetUserID), subject, n.RequestType)
	}
	return fmt.Sprintf("%s for %s", n.RequestType, subject)
}
