package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Client calls the gateway's REST API with one credential.
type Client struct {
	BaseURL string // http://127.0.0.1:8080
	Key     string // an API key or an OIDC token
	HTTP    *http.Client
}

// APIError is an error body of the API: {code, message, details}.
type APIError struct {
	HTTPStatus int
	Code       codes.Code
	Message    string
	Fields     []FieldViolation // from a google.rpc.BadRequest detail
}

// FieldViolation names one bad field of a request, as the API's BadRequest detail does.
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.HTTPStatus)
	}
	return fmt.Sprintf("%s (%s, HTTP %d)", msg, e.Code, e.HTTPStatus)
}

var (
	unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
	marshal   = protojson.MarshalOptions{}
)

// Do sends one call: in (nil for none) as the JSON body, query as the query string, and
// reads the answer into out (nil to ignore it).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out proto.Message) error {
	res, err := c.send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out == nil {
		return nil
	}
	if err := unmarshal.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not a %s: %w", method, path, out.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// Stream sends a GET and returns the body of a successful answer, for the caller to read
// and close (the audit export's JSON lines).
func (c *Client) Stream(ctx context.Context, path string) (io.ReadCloser, error) {
	res, err := c.send(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, in proto.Message) (*http.Response, error) {
	if c.BaseURL == "" {
		return nil, fmt.Errorf("no server: run grantflow login, or set GRANTFLOW_URL")
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		raw, err := marshal.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return nil, apiError(res.StatusCode, raw)
	}
	return res, nil
}

// apiError reads the API's error body; anything else (a proxy's page) keeps its status.
func apiError(status int, raw []byte) *APIError {
	e := &APIError{HTTPStatus: status, Code: codeOf(status)}
	var body struct {
		Code    *int              `json:"code"`
		Message string            `json:"message"`
		Details []json.RawMessage `json:"details"`
	}
	if json.Unmarshal(raw, &body) != nil {
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
		return e
	}
	if body.Code != nil {
		e.Code = codes.Code(*body.Code)
	}
	e.Message = body.Message
	for _, d := range body.Details {
		var br struct {
			Type       string           `json:"@type"`
			Violations []FieldViolation `json:"fieldViolations"`
		}
		if json.Unmarshal(d, &br) == nil && strings.HasSuffix(br.Type, "google.rpc.BadRequest") {
			e.Fields = append(e.Fields, br.Violations...)
		}
	}
	return e
}

func codeOf(status int) codes.Code {
	switch status {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.Aborted
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Unknown
}
