package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/grantflow/grantflow/pkg/auth"
)

// OIDC sign-in for the web console: the authorization-code flow with PKCE, run by the
// browser, with the two steps that would otherwise reach the issuer from the page done here
// (so the console's CSP keeps connect-src 'self' and the issuer needs no CORS):
//
//   - GET  /console/config.json       {"oidc": {"issuer", "clientId"}} when configured, else {"oidc": null}
//   - GET  /console/oidc/authorize    ?state&nonce&codeChallenge&redirectUri: 302 to the issuer's
//     authorization endpoint (response_type=code, scope openid email profile, S256)
//   - POST /console/oidc/token        {code, codeVerifier, redirectUri} -> {idToken}: the code
//     exchanged at the issuer's token endpoint as the public client clientId
//
// The ID token is then the console's bearer credential, verified by identity on every call
// like any OIDC token (issuer, audience, expiry, verified email). The gateway holds no
// secret and no session: the code verifier never leaves the browser until the exchange.

// ConsoleOIDC configures the console's OIDC sign-in; the zero value disables it.
type ConsoleOIDC struct {
	// Issuer is the provider whose tokens identity accepts (GRANTFLOW_OIDC_ISSUER).
	Issuer string
	// ClientID is the console's client at the issuer: the audience of its ID tokens
	// (GRANTFLOW_OIDC_AUDIENCE).
	ClientID string
}

// oidcCallback is the console's redirect URI path, registered at the issuer.
const oidcCallback = ConsolePath + "oidc/callback"

type consoleOIDC struct {
	cfg ConsoleOIDC

	mu       sync.Mutex
	endpoint *oauth2.Endpoint // discovered once, on first use
}

// discover reads the issuer's discovery document, once it succeeds.
func (o *consoleOIDC) discover(ctx context.Context) (oauth2.Endpoint, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.endpoint != nil {
		return *o.endpoint, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return oauth2.Endpoint{}, err
	}
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams // a public client: client_id in the form, no secret
	o.endpoint = &ep
	return ep, nil
}

func (o *consoleOIDC) oauth(ctx context.Context, redirectURI string) (*oauth2.Config, error) {
	ep, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{ClientID: o.cfg.ClientID, Endpoint: ep, RedirectURL: redirectURI, Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}, nil
}

// validRedirect accepts only the console's own callback, on http(s).
func validRedirect(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Path == oidcCallback && u.RawQuery == "" && u.Fragment == ""
}

func badConsoleCall(w http.ResponseWriter, status int, field, msg string) {
	body := map[string]any{"code": 3, "message": msg, "details": []any{}}
	if field != "" {
		body["message"] = field + ": " + msg
	}
	if status == http.StatusBadGateway {
		body["code"] = 14
	}
	writeJSON(w, status, body)
}

// mountConsoleOIDC serves the three routes. failures (the gateway's limiter of failed
// sign-ins per client address) counts each code the issuer refuses, and refuses an address
// that used up its failures with 429, before reaching the issuer.
func mountConsoleOIDC(mux *http.ServeMux, cfg ConsoleOIDC, maxBody int64, failures *auth.FailureLimiter) {
	enabled := cfg.Issuer != "" && cfg.ClientID != ""
	o := &consoleOIDC{cfg: cfg}
	mux.HandleFunc("GET "+ConsolePath+"config.json", func(w http.ResponseWriter, _ *http.Request) {
		consoleHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		var oidc any
		if enabled {
			oidc = map[string]string{"issuer": cfg.Issuer, "clientId": cfg.ClientID}
		}
		writeJSON(w, http.StatusOK, map[string]any{"oidc": oidc})
	})
	mux.HandleFunc("GET "+ConsolePath+"oidc/authorize", func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w)
		if !enabled {
			writeJSON(w, http.StatusNotFound, map[string]any{"code": 5, "message": "OIDC sign-in is not configured (GRANTFLOW_OIDC_ISSUER, GRANTFLOW_OIDC_AUDIENCE)", "details": []any{}})
			return
		}
		q := r.URL.Query()
		for _, f := range []string{"state", "nonce", "codeChallenge"} {
			if n := len(q.Get(f)); n < 16 || n > 256 {
				badConsoleCall(w, http.StatusBadRequest, f, "16 to 256 characters required")
				return
			}
		}
		if !validRedirect(q.Get("redirectUri")) {
			badConsoleCall(w, http.StatusBadRequest, "redirectUri", "must be this console's "+oidcCallback)
			return
		}
		oc, err := o.oauth(r.Context(), q.Get("redirectUri"))
		if err != nil {
			badConsoleCall(w, http.StatusBadGateway, "", "the OIDC issuer could not be reached: "+err.Error())
			return
		}
		http.Redirect(w, r, oc.AuthCodeURL(q.Get("state"), gooidc.Nonce(q.Get("nonce")),
			oauth2.SetAuthURLParam("code_challenge", q.Get("codeChallenge")),
			oauth2.SetAuthURLParam("code_challenge_method", "S256")), http.StatusFound)
	})
	mux.HandleFunc("POST "+ConsolePath+"oidc/token", func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		if !enabled {
			writeJSON(w, http.StatusNotFound, map[string]any{"code": 5, "message": "OIDC sign-in is not configured", "details": []any{}})
			return
		}
		addr := auth.ClientAddr(r.RemoteAddr)
		if blocked, retry := failures.Blocked(addr); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 8, "message": auth.Refusal(retry).Error(), "details": []any{}})
			return
		}
		var in struct {
			Code         string `json:"code"`
			CodeVerifier string `json:"codeVerifier"`
			RedirectURI  string `json:"redirectUri"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			badConsoleCall(w, http.StatusBadRequest, "", "a JSON body {code, codeVerifier, redirectUri} is required: "+err.Error())
			return
		}
		switch {
		case in.Code == "" || len(in.Code) > 4096:
			badConsoleCall(w, http.StatusBadRequest, "code", "1 to 4096 characters required")
			return
		case len(in.CodeVerifier) < 43 || len(in.CodeVerifier) > 128:
			badConsoleCall(w, http.StatusBadRequest, "codeVerifier", "43 to 128 characters required (RFC 7636)")
			return
		case !validRedirect(in.RedirectURI):
			badConsoleCall(w, http.StatusBadRequest, "redirectUri", "must be this console's "+oidcCallback)
			return
		}
		oc, err := o.oauth(r.Context(), in.RedirectURI)
		if err != nil {
			badConsoleCall(w, http.StatusBadGateway, "", "the OIDC issuer could not be reached: "+err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		tok, err := oc.Exchange(ctx, in.Code, oauth2.VerifierOption(in.CodeVerifier))
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) {
				failures.Failed(addr)
				msg := re.ErrorCode
				if re.ErrorDescription != "" {
					msg += ": " + re.ErrorDescription
				}
				badConsoleCall(w, http.StatusBadRequest, "code", "the issuer refused the exchange: "+msg)
				return
			}
			badConsoleCall(w, http.StatusBadGateway, "", "the OIDC issuer could not be reached: "+err.Error())
			return
		}
		id, _ := tok.Extra("id_token").(string)
		if id == "" {
			badConsoleCall(w, http.StatusBadGateway, "", "the issuer answered without an id_token")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"idToken": id})
	})
}
