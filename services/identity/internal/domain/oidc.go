package domain

import "time"

// OIDCBinding ties an OIDC identity (the issuer and its subject, which never changes) to a
// user: made at the user's first sign-in, by verified email, and used from then on, so a
// later account at the issuer that claims the same email is not the user.
type OIDCBinding struct {
	Issuer     string
	Subject    string
	UserID     string
	CreateTime time.Time
}
