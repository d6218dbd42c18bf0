// Package dispatch is the machinery webhook deliveries and email and Slack messages share:
// a leased work queue worked Workers at a time (Loop), the retry schedule (Retry) and the
// state an attempt leaves its item in (Retry.Settle).
//
// It knows neither webhooks nor channels: a queue is anything that claims due items and
// says when the next one is due. It imports nothing of the service but the domain.
package dispatch
