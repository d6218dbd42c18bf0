package domain

import "time"

// AppConnector is where the system agent provisions an app's changes: a URL and the
// Standard Webhooks secret that signs each call. SealedSecret is the secret encrypted
// (package secretbox): the store never holds it in the clear.
type AppConnector struct {
	AppID        string
	URL          string
	SealedSecret []byte
	UpdatedBy    string
	CreateTime   time.Time
	UpdateTime   time.Time
}
