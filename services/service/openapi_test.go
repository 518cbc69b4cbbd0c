package service_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	aftersales "github.com/closeloop/closeloop/services/service"
)

// TestOpenAPIMatchesRoutes fails when a route is added without documenting it,
// or documented without existing, and when the committed copy in docs/ is stale.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, testenv.SQLite)
	servicetest.CheckOpenAPI(t, s.service.App, s.service.Base, aftersales.OpenAPI(), "../../docs/api/service.openapi.json")
}
