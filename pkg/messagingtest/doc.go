// Package messagingtest holds the tests' stand-ins for the outside channels notifications
// go through: an SMTP server (github.com/emersion/go-smtp, with STARTTLS and AUTH PLAIN)
// and a local fake of Slack's Web API (httptest). Both record what they got and can be
// put down (temporary failures) and brought back. For tests only; it imports no service.
package messagingtest
