package stdwebhook

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/errs"
)

func TestValidateURL(t *testing.T) {
	strict, open := URLPolicy{}, URLPolicy{AllowPrivate: true}
	for _, tc := range []struct {
		url        string
		strict, ok bool // strict: valid under the strict policy; ok: valid with AllowPrivate
	}{
		{"https://hooks.example.com/x", true, true},
		{"https://93.184.216.34/x", true, true},
		{"http://hooks.example.com/x", false, true},
		{"https://127.0.0.1/x", false, true},
		{"https://localhost:8443/x", false, true},
		{"https://10.1.2.3/x", false, true},
		{"https://192.168.0.1/x", false, true},
		{"https://169.254.169.254/latest/meta-data", false, true},
		{"https://[::1]/x", false, true},
		{"https://[fd00::1]/x", false, true},
		{"https://[::ffff:127.0.0.1]/x", false, true},
		{"ftp://hooks.example.com/x", false, false},
		{"hooks.example.com/x", false, false},
		{"https://user:pw@hooks.example.com/x", false, false},
		{"https:///x", false, false},
	} {
		if err := strict.ValidateURL("url", tc.url); (err == nil) != tc.strict {
			t.Errorf("strict %q: %v, want valid=%v", tc.url, err, tc.strict)
		} else if err != nil && !errs.Is(err, errs.KindInvalid) {
			t.Errorf("strict %q: %v is not INVALID_ARGUMENT", tc.url, err)
		}
		if err := open.ValidateURL("url", tc.url); (err == nil) != tc.ok {
			t.Errorf("allow-private %q: %v, want valid=%v", tc.url, err, tc.ok)
		}
	}
}

func TestIsPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "127.1.2.3": false, "10.0.0.1": false, "10.255.255.255": false,
		"172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false, "0.0.0.0": false,
		"100.64.0.1": false, "::1": false, "fe80::1": false, "fc00::1": false, "::": false,
		"::ffff:10.0.0.1": false, "224.0.0.1": false,
	} {
		if got := IsPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublic(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestSecretFormat(t *testing.T) {
	s := FormatSecret(NewSecret())
	if len(s) != len(SecretPrefix)+44 || s[:6] != SecretPrefix {
		t.Fatalf("secret %q: want whsec_ + base64 of 32 bytes", s)
	}
}

func TestParseSecret(t *testing.T) {
	b := NewSecret()
	got, err := ParseSecret(FormatSecret(b))
	if err != nil || string(got) != string(b) {
		t.Fatalf("ParseSecret(FormatSecret) = %x, %v", got, err)
	}
	for _, bad := range []string{"", "abc", "whsec_", "whsec_!!!", "whsec_" + "c2hvcnQ=", FormatSecret(make([]byte, 65))} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}

// TestSignKnownAnswer checks Sign against the example of the specification's reference
// libraries (secret, id, timestamp and payload from standard-webhooks' test suite).
func TestSignKnownAnswer(t *testing.T) {
	key, _ := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// TestVerifyRefusesReplays: a correctly signed message whose timestamp is outside the
// tolerance window is refused (a replay), on either side; inside it, it verifies; a
// wrong signature or a missing header never does.
func TestVerifyRefusesReplays(t *testing.T) {
	key := NewSecret()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a":1}`)
	signed := func(at time.Time) http.Header {
		h := http.Header{}
		SetHeaders(h, key, "msg_1", at.Unix(), body)
		return h
	}
	for name, tc := range map[string]struct {
		h    http.Header
		want error
	}{
		"fresh":                    {signed(now), nil},
		"4 minutes old":            {signed(now.Add(-4 * time.Minute)), nil},
		"replayed 6 minutes later": {signed(now.Add(-6 * time.Minute)), ErrTimestamp},
		"replayed a day later":     {signed(now.Add(-24 * time.Hour)), ErrTimestamp},
		"from the future":          {signed(now.Add(6 * time.Minute)), ErrTimestamp},
		"another key": {func() http.Header {
			h := http.Header{}
			SetHeaders(h, NewSecret(), "msg_1", now.Unix(), body)
			return h
		}(), ErrSignature},
		"no signature": {http.Header{HeaderID: {"msg_1"}, HeaderTimestamp: {"1800000000"}}, ErrMissingHeaders},
	} {
		t.Run(name, func(t *testing.T) {
			if err := Verify(key, tc.h, body, now, 0); !errorsIs(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	// The body is what is signed.
	if err := Verify(key, signed(now), []byte(`{"a":2}`), now, 0); !errorsIs(err, ErrSignature) {
		t.Fatalf("another body: %v", err)
	}
}

func errorsIs(err, target error) bool {
	if target == nil {
		return err == nil
	}
	return errors.Is(err, target)
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.com/p/a?token=s3cret#x": "https://hooks.example.com/p/a",
		"https://hooks.example.com":                            "https://hooks.example.com",
		"::bad":                                                "(an unparseable URL)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
