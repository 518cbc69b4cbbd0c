package adapters

import (
	"context"
	"errors"

	"github.com/closeloop/closeloop/platform/auth"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
)

// Customers reads the customers visits are to, from the customer service's store.
type Customers struct{ Store *custadapters.Store }

// Customer loads a live customer within scope: unknown and invisible
// customers are both custdomain.ErrCustomerNotFound.
func (c Customers) Customer(ctx context.Context, id string, scope auth.Scope) (domain.Customer, error) {
	r, err := c.Store.GetCustomer(ctx, id, scope, false)
	if errors.Is(err, custdomain.ErrCustomerNotFound) {
		return domain.Customer{}, custdomain.ErrCustomerNotFound
	}
	if err != nil {
		return domain.Customer{}, err
	}
	return domain.Customer{ID: r.ID, Team: r.Team, Region: r.Region}, nil
}
