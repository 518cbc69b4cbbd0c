// Package apis is how the web console reaches the services: typed clients
// generated from each service's OpenAPI document (customerapi, followupapi,
// salesapi, serviceapi, marketingapi; `make api-clients` regenerates them, `make api-check` in `make
// test` fails when they are stale), called as the signed-in user with the
// access token of their session, so every service applies the user's own
// permissions and data scope. The console holds no business data.
package apis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
)

// Config names the services' base URLs.
type Config struct {
	Customer, FollowUp, Sales, Service, Marketing string
}

// Clients makes the per-user clients.
type Clients struct {
	cfg  Config
	http *http.Client
}

// New returns the clients of the services at cfg's URLs.
func New(cfg Config) *Clients {
	return &Clients{cfg: cfg, http: &http.Client{
		Timeout:   15 * time.Second,
		Transport: otelhttp.NewTransport(http.DefaultTransport),
	}}
}

// Set is one user's clients of every service.
type Set struct {
	Customer *customerapi.ClientWithResponses
	FollowUp *followupapi.ClientWithResponses
	Sales    *salesapi.ClientWithResponses
	// Service is the after-sales service (service cases).
	Service *serviceapi.ClientWithResponses
	// Marketing is the marketing service (campaigns, win-back).
	Marketing *marketingapi.ClientWithResponses
}

type ctxKey int

const (
	idemKey ctxKey = iota
	langKey
)

// WithIdempotencyKey makes the calls made with ctx carry key as their
// Idempotency-Key: the key a form was rendered with, so a second submit of
// the same form is recognised by the service and not applied twice.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, idemKey, key)
}

// For returns clients that call as the holder of accessToken.
func (c *Clients) For(accessToken string) *Set {
	edit := func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+accessToken)
		if k, ok := ctx.Value(idemKey).(string); ok && req.Method != http.MethodGet {
			req.Header.Set("Idempotency-Key", k)
		}
		return nil
	}
	cust, err1 := customerapi.NewClientWithResponses(c.cfg.Customer, customerapi.WithHTTPClient(c.http), customerapi.WithRequestEditorFn(edit))
	fu, err2 := followupapi.NewClientWithResponses(c.cfg.FollowUp, followupapi.WithHTTPClient(c.http), followupapi.WithRequestEditorFn(edit))
	sales, err3 := salesapi.NewClientWithResponses(c.cfg.Sales, salesapi.WithHTTPClient(c.http), salesapi.WithRequestEditorFn(edit))
	svc, err4 := serviceapi.NewClientWithResponses(c.cfg.Service, serviceapi.WithHTTPClient(c.http), serviceapi.WithRequestEditorFn(edit))
	mkt, err5 := marketingapi.NewClientWithResponses(c.cfg.Marketing, marketingapi.WithHTTPClient(c.http), marketingapi.WithRequestEditorFn(edit))
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		// Only a malformed base URL fails here, and the configuration is
		// checked at start (CheckURLs).
		panic(err)
	}
	return &Set{Customer: cust, FollowUp: fu, Sales: sales, Service: svc, Marketing: mkt}
}

// CheckURLs fails when a configured service URL is not usable.
func (c Config) CheckURLs() error {
	for name, u := range map[string]string{"CUSTOMER_API_URL": c.Customer, "FOLLOWUP_API_URL": c.FollowUp, "SALES_API_URL": c.Sales, "SERVICE_API_URL": c.Service,
		"MARKETING_API_URL": c.Marketing} {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("%s must be an http(s) URL, not %q", name, u)
		}
	}
	return nil
}

// Check turns a generated client's result into an error: nil for a 2xx
// answer; the service's problem (code, message, field errors, details) with
// the kind of its status otherwise (a 429 stays a rate limit, so the page says
// to slow down, not that the service is down); Unavailable when the service
// did not answer or answered 5xx. res is the *XxxResponse the generated client
// returned (it has HTTPResponse and Body fields).
func Check(res any, err error) error {
	if err != nil {
		return apperr.Unavailable("service_unavailable", "a service the console needs did not answer").Wrap(err)
	}
	v := reflect.ValueOf(res)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return apperr.Unavailable("service_unavailable", "a service the console needs did not answer")
	}
	e := v.Elem()
	hr, _ := e.FieldByName("HTTPResponse").Interface().(*http.Response)
	body, _ := e.FieldByName("Body").Interface().([]byte)
	if hr == nil {
		return apperr.Unavailable("service_unavailable", "a service the console needs did not answer")
	}
	return Problem(hr.StatusCode, body)
}

// Problem is the error of an answer with status and body (nil for 2xx).
func Problem(status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	var b httpx.ErrorBody
	_ = json.Unmarshal(body, &b)
	if b.Message == "" {
		b.Message = http.StatusText(status)
	}
	if b.Code == "" {
		b.Code = fmt.Sprintf("http_%d", status)
	}
	var kind apperr.Kind
	switch {
	case status == http.StatusBadRequest:
		kind = apperr.KindInvalid
	case status == http.StatusUnauthorized:
		kind = apperr.KindUnauthenticated
	case status == http.StatusForbidden:
		kind = apperr.KindForbidden
	case status == http.StatusNotFound:
		kind = apperr.KindNotFound
	case status == http.StatusConflict:
		kind = apperr.KindConflict
	case status == http.StatusUnprocessableEntity:
		kind = apperr.KindRule
	case status == http.StatusRequestEntityTooLarge:
		kind = apperr.KindTooLarge
	case status == http.StatusTooManyRequests:
		kind = apperr.KindTooManyRequests // the user's rate limit at that service: they may retry
	default:
		return apperr.Unavailable("service_unavailable", "a service the console needs is not answering right now").
			Wrap(fmt.Errorf("status %d: %s %s", status, b.Code, b.Message))
	}
	out := apperr.New(kind, b.Code, b.Message)
	for k, val := range b.Details {
		if k == "fields" {
			raw, _ := json.Marshal(val)
			_ = json.Unmarshal(raw, &out.Fields)
			continue
		}
		out = out.With(k, val)
	}
	return out
}
