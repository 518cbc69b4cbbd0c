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
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/app"
)

type bearerKey struct{}

// ForwardBearer keeps the caller's bearer token on the request context, so
// the customer service answers look-ups with the caller's own scope.
func ForwardBearer(c *gin.Context) {
	if h := c.GetHeader("Authorization"); h != "" {
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), bearerKey{}, h))
	}
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

// Lookup is a app.Customers: the customer with id, as the caller sees it.
// The scope is the customer service's to apply; it is not used here.
func (c *CustomerAPI) Lookup(ctx context.Context, id string, _ auth.Scope) (app.Customer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/v1/customers/"+url.PathEscape(id), nil)
	if err != nil {
		return app.Customer{}, err
	}
	if tok, _ := ctx.Value(bearerKey{}).(string); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return app.Customer{}, apperr.Unavailable("customer_service_unavailable", "the customer service did not answer; retry shortly").Wrap(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden:
		var v apperr.Validation
		v.Add("customer_id", "not_found", "no such customer")
		return app.Customer{}, v.Err()
	default:
		return app.Customer{}, apperr.Unavailable("customer_service_unavailable", "the customer service failed; retry shortly").
			Wrap(fmt.Errorf("GET customer %s: %d %s", id, resp.StatusCode, body))
	}
	var out struct {
		OwnerID    string `json:"owner_id"`
		Team       string `json:"team"`
		Region     string `json:"region"`
		ValueClass string `json:"value_class"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return app.Customer{}, apperr.Unavailable("customer_service_unavailable", "the customer service answered something unexpected").Wrap(err)
	}
	return app.Customer{OwnerID: out.OwnerID, Team: out.Team, Region: out.Region, ValueClass: out.ValueClass}, nil
}
