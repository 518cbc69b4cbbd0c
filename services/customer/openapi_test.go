package customer_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/services/customer"
)

// TestOpenAPIMatchesRoutes fails when a route is added without documenting it,
// or documented without existing, and when the committed copy in docs/ is stale.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, backends[1].DSN(t), stackOpts{})
	servicetest.CheckOpenAPI(t, s.app, s.base, customer.OpenAPI(), "../../docs/api/customer.openapi.json")
}
