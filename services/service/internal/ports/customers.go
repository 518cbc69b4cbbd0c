package ports

import (
	"context"

	customerclient "github.com/closeloop/closeloop/services/customer/client"
	"github.com/closeloop/closeloop/services/service/internal/app"
)

// CustomerAPI looks customers up through the customer service's HTTP API as
// the caller (its bearer token, kept by httpx.ForwardBearer): a customer the
// caller may not see there is unknown here — 422 unknown_customer on
// customer_id — and a customer service that does not answer is 503
// customer_service_unavailable.
type CustomerAPI struct {
	Client *customerclient.Client
}

// NewCustomerAPI returns a client of the customer service at base.
func NewCustomerAPI(base string) *CustomerAPI {
	c := customerclient.New(base)
	c.UnknownCode, c.UnknownMessage = "unknown_customer", "no such customer, or not yours to see"
	return &CustomerAPI{Client: c}
}

// Lookup is the use cases' customer look-up.
func (c *CustomerAPI) Lookup(ctx context.Context, id string) (app.Customer, error) {
	out, err := c.Client.Lookup(ctx, id)
	if err != nil {
		return app.Customer{}, err
	}
	return app.Customer{OwnerID: out.OwnerID, Team: out.Team, Name: out.Name}, nil
}
