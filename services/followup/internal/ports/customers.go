package ports

import (
	"context"

	"github.com/closeloop/closeloop/platform/auth"
	customerclient "github.com/closeloop/closeloop/services/customer/client"
	"github.com/closeloop/closeloop/services/followup/internal/app"
)

// CustomerAPI looks customers up through the customer service's HTTP API as
// the caller (its bearer token, kept by httpx.ForwardBearer): a customer the
// caller may not see there is unknown here.
type CustomerAPI struct {
	Client *customerclient.Client
}

// NewCustomerAPI returns a client of the customer service at base.
func NewCustomerAPI(base string) *CustomerAPI {
	return &CustomerAPI{Client: customerclient.New(base)}
}

// Lookup is the app's customer look-up: the customer with id, as the caller
// sees it. The scope is the customer service's to apply; it is not used here.
func (c *CustomerAPI) Lookup(ctx context.Context, id string, _ auth.Scope) (app.Customer, error) {
	out, err := c.Client.Lookup(ctx, id)
	if err != nil {
		return app.Customer{}, err
	}
	return app.Customer{OwnerID: out.OwnerID, Team: out.Team, Region: out.Region, ValueClass: out.ValueClass}, nil
}
