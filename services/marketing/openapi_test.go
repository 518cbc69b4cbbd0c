package marketing_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/marketing"
)

// TestOpenAPIMatchesRoutes fails when a route is added without documenting it,
// or documented without existing, and when the committed copy in docs/ is stale.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, testenv.SQLite, false)
	servicetest.CheckOpenAPI(t, s.marketing.App, s.marketing.Base, marketing.OpenAPI(), "../../docs/api/marketing.openapi.json")
}
