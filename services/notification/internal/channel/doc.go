// Package channel sends a message to a person over email (SMTP, through
// github.com/wneessen/go-mail) or Slack (a direct message through github.com/slack-go/slack,
// the user found by email), and reads each channel's configuration. An error a retry
// cannot cure (no such mailbox, no such Slack user) is Permanent; any other means the
// channel is down for now.
//
// It imports nothing of the service but nothing else of it either: no store, no gRPC.
package channel
