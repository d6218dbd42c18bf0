package channel

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// SlackConfig is the Slack channel's configuration: GRANTFLOW_SLACK_BOT_TOKEN and
// GRANTFLOW_SLACK_API_URL (another Web API endpoint; empty: Slack's own).
type SlackConfig struct {
	Token  string
	APIURL string
}

// ParseSlack checks the Slack settings: a bot token (xoxb-...) and, if given, an http(s)
// endpoint (a trailing slash is added: the client appends method names to it).
func ParseSlack(token, apiURL string) (SlackConfig, error) {
	if token == "" {
		return SlackConfig{}, errors.New("GRANTFLOW_SLACK_BOT_TOKEN: required with GRANTFLOW_SLACK_API_URL")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return SlackConfig{}, errors.New("GRANTFLOW_SLACK_BOT_TOKEN: contains white space")
	}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return SlackConfig{}, fmt.Errorf("GRANTFLOW_SLACK_API_URL=%q: want an http(s) URL like https://slack.com/api/", apiURL)
		}
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
	}
	return SlackConfig{Token: token, APIURL: apiURL}, nil
}

// Slack sends direct messages: it looks the person up by email (users.lookupByEmail),
// opens the direct conversation (conversations.open) and posts to it (chat.postMessage).
type Slack struct{ api *slack.Client }

// NewSlack returns the Slack channel.
func NewSlack(c SlackConfig) *Slack {
	var opts []slack.Option
	if c.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(c.APIURL))
	}
	return &Slack{api: slack.New(c.Token, opts...)}
}

// Send posts m to the Slack user whose email is m.To. No such user is Permanent; any
// other failure (no answer, a 5xx, a rate limit, a bad token) is the channel being down.
func (s *Slack) Send(ctx context.Context, m Message) (string, error) {
	if m.To == "" {
		return "", Permanent(errors.New("no email address to look the Slack user up by"))
	}
	u, err := s.api.GetUserByEmailContext(ctx, m.To)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "users_not_found" || err.Error() == "users_not_found" {
			return "", Permanent(fmt.Errorf("slack users.lookupByEmail %s: %w", m.To, err))
		}
		return "", fmt.Errorf("slack users.lookupByEmail: %w", err)
	}
	ch, _, _, err := s.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{u.ID}})
	if err != nil {
		return u.ID, fmt.Errorf("slack conversations.open: %w", err)
	}
	text := "*" + m.Title + "*\n" + m.Text
	if _, _, err := s.api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText(text, false)); err != nil {
		return u.ID, fmt.Errorf("slack chat.postMessage: %w", err)
	}
	return u.ID, nil
}
