package stdwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a message's timestamp may be from the receiver's clock (the
// specification's suggestion, 5 minutes).
const DefaultTolerance = 5 * time.Minute

// Sign returns the webhook-signature header value for a message: "v1," + base64 of
// HMAC-SHA256 keyed with secret over "id.timestamp.body".
func Sign(secret []byte, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// SetHeaders puts the three Standard Webhooks headers of a message on h.
func SetHeaders(h http.Header, secret []byte, id string, timestamp int64, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(timestamp, 10))
	h.Set(HeaderSignature, Sign(secret, id, timestamp, body))
}

// Errors of Verify.
var (
	// ErrMissingHeaders: a webhook header is missing.
	ErrMissingHeaders = errors.New("stdwebhook: missing webhook-id, webhook-timestamp or webhook-signature")
	// ErrTimestamp: the timestamp is not a number, or outside the tolerance window (a
	// replayed or delayed message).
	ErrTimestamp = errors.New("stdwebhook: timestamp outside the tolerance window")
	// ErrSignature: no v1 signature of the header matches.
	ErrSignature = errors.New("stdwebhook: no matching signature")
)

// Verify checks a received message as the specification tells a receiver to: the
// timestamp within tolerance of now (0: DefaultTolerance), then one of the header's
// space-separated "v1,<base64>" signatures matching in constant time.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not Unix seconds", ErrTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s is %s from now", ErrTimestamp, ts, d.Round(time.Second))
	}
	want := mac(secret, id, ts, body)
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
