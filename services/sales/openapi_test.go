package sales_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/sales"
)

// TestOpenAPIMatchesRoutes fails when a route is added without documenting it,
// or documented without existing, and when the committed copy in docs/ is stale.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, testenv.SQLite, stackOpts{})
	servicetest.CheckOpenAPI(t, s.sales.App, s.sales.Base, sales.OpenAPI(), "../../docs/api/sales.openapi.json")
}
