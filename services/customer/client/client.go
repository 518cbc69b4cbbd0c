// Package client is a small typed client of the customer service's public
// HTTP API, for other services that need a customer's facts while they answer
// a request (who owns it, its team, region and class).
//
// Every call is made as the caller: the Authorization header the request
// arrived with (httpx.ForwardBearer keeps it, httpx.Bearer reads it) is sent
// on, so the customer service applies the caller's own scope — a customer the
// caller may not see is unknown here too.
//
// Errors are apperr values: an unknown or invisible customer is a field error
// on customer_id (code UnknownCode as the caller names it, see Lookup); a
// customer service that does not answer, fails or answers something
// unexpected is Unavailable with code customer_service_unavailable.
package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
)

// CodeUnavailable is the code of every error that says the customer service
// could not be used (503).
const CodeUnavailable = "customer_service_unavailable"

// Client calls the customer service at Base.
type Client struct {
	Base string
	HTTP *http.Client
	// UnknownCode is the field error code for a customer that does not exist
	// or that the caller may not see ("not_found" unless set).
	UnknownCode, UnknownMessage string
}

// New returns a client of the customer service at base (such as
// http://127.0.0.1:8081), traced with OpenTelemetry.
func New(base string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"),
		HTTP: &http.Client{Timeout: 5 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}}
}

// Customer is a customer as the customer service shows it (the fields other
// services use; the API has more).
type Customer struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	Industry   string `json:"industry"`
	OwnerID    string `json:"owner_id"`
	Team       string `json:"team"`
	ValueClass string `json:"value_class"`
}

// Lookup returns the customer with id as the caller sees it.
func (c *Client) Lookup(ctx context.Context, id string) (Customer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/v1/customers/"+url.PathEscape(id), nil)
	if err != nil {
		return Customer{}, err
	}
	if tok := httpx.Bearer(ctx); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Customer{}, apperr.Unavailable(CodeUnavailable, "the customer service did not answer; retry shortly").Wrap(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden:
		code, msg := c.UnknownCode, c.UnknownMessage
		if code == "" {
			code, msg = "not_found", "no such customer"
		}
		var v apperr.Validation
		v.Add("customer_id", code, msg)
		return Customer{}, v.Err()
	default:
		return Customer{}, apperr.Unavailable(CodeUnavailable, "the customer service failed; retry shortly").
			Wrap(fmt.Errorf("GET customer %s: %d %s", id, resp.StatusCode, body))
	}
	var out Customer
	if err := json.Unmarshal(body, &out); err != nil {
		return Customer{}, apperr.Unavailable(CodeUnavailable, "the customer service answered something unexpected").Wrap(err)
	}
	return out, nil
}
