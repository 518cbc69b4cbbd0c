package ports

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	customerclient "github.com/closeloop/closeloop/services/customer/client"
	"github.com/closeloop/closeloop/services/sales/internal/app"
)

// forwardBearer keeps the caller's bearer token on the request context, so
// the customer service answers lookups with the caller's own scope
// (httpx.Bearer). It also keeps the Idempotency-Key, from which changes sent
// to workflows derive their update ids.
func forwardBearer(c *gin.Context) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		ctx = httpx.WithBearer(ctx, h)
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
	Client *customerclient.Client
}

// NewCustomerAPI returns a client of the customer service at base.
func NewCustomerAPI(base string) *CustomerAPI {
	c := customerclient.New(base)
	c.UnknownCode, c.UnknownMessage = "unknown_customer", "no such customer, or not one visible to you"
	return &CustomerAPI{Client: c}
}

// Lookup returns the customer with id as the caller sees it.
func (c *CustomerAPI) Lookup(ctx context.Context, id string) (app.CustomerRef, error) {
	out, err := c.Client.Lookup(ctx, id)
	if err != nil {
		return app.CustomerRef{}, err
	}
	return app.CustomerRef{ID: out.ID, Name: out.Name, Region: out.Region, Industry: out.Industry, OwnerID: out.OwnerID, Team: out.Team}, nil
}
