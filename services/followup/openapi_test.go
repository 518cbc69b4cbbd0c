package followup_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/services/followup"
)

// TestOpenAPIMatchesRoutes fails when a route is added without documenting it,
// or documented without existing, and when the committed copy in docs/ is stale.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, backends[1].DSN(t), stackOpts{})
	servicetest.CheckOpenAPI(t, s.app, s.FollowUpBase, followup.OpenAPI(), "../../docs/api/followup.openapi.json")
}
