package ports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/sales/internal/app"
)

type bearerKey struct{}

// forwardBearer keeps the caller's bearer token on the request context, so
// the customer service answers lookups with the caller's own scope.
// It also keeps the Idempotency-Key, from which changes sent to workflows
// derive their update ids.
func forwardBearer(c *gin.Context) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		ctx = context.WithValue(ctx, bearerKey{}, h)
	}
	if k := c.GetHeader("Idempotency-Key"); k != "" && len(k) <= 200 {
		ctx = context.WithValue(ctx, idemKey{}, k)
	}
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// CustomerAPI looks customers up through the customer service's HTTP API as
// the caller: a customer the caller may not see there is unknown here.
type CustomerAPI struct {
	Base   string
	Client *http.Client
}

// NewCustomerAPI returns a client of the customer service at base.
func NewCustomerAPI(base string) *CustomerAPI {
	return &CustomerAPI{Base: strings.TrimRight(base, "/"), Client: &http.Client{Timeout: 5 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}}
}

// Lookup returns the customer with id as the caller sees it.
func (c *CustomerAPI) Lookup(ctx context.Context, id string) (app.CustomerRef, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/v1/customers/"+url.PathEscape(id), nil)
	if err != nil {
		return app.CustomerRef{}, err
	}
	if tok, _ := ctx.Value(bearerKey{}).(string); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return app.CustomerRef{}, apperr.Unavailable("customer_service_unavailable", "the customer service did not answer; retry shortly").Wrap(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden:
		var v apperr.Validation
		v.Add("customer_id", "unknown_customer", "no such customer, or not one visible to you")
		return app.CustomerRef{}, v.Err()
	default:
		return app.CustomerRef{}, apperr.Unavailable("customer_service_unavailable", "the customer service failed; retry shortly").
			Wrap(fmt.Errorf("GET customer %s: %d %s", id, resp.StatusCode, body))
	}
	var out struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Region   string `json:"region"`
		Industry string `json:"industry"`
		OwnerID  string `json:"owner_id"`
		Team     string `json:"team"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return app.CustomerRef{}, apperr.Unavailable("customer_service_unavailable", "the customer service answered something unexpected").Wrap(err)
	}
	return app.CustomerRef{ID: out.ID, Name: out.Name, Region: out.Region, Industry: out.Industry, OwnerID: out.OwnerID, Team: out.Team}, nil
}
