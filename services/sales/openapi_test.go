package sales_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/sales"
)

// TestOpenAPIMatchesRoutes fails when a route is added without documenting it,
// or documented without existing, and when the committed copy in docs/ is stale.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, testenv.SQLite, stackOpts{})
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	r := s.call(s.sales.Base, "GET", "/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatalf("/openapi.json: %d", r.status)
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range s.sales.App.Engine().Routes() {
		if strings.HasPrefix(rt.Path, "/v1/") {
			served[rt.Method+" "+openapi.OpenAPIPath(rt.Path)] = true
		}
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("OpenAPI documents %s, which is not served", k)
		}
	}
	if len(served) == 0 {
		t.Fatal("no /v1 routes found")
	}

	// docs/api/sales.openapi.json is the published copy.
	const published = "../../docs/api/sales.openapi.json"
	if os.Getenv("UPDATE_OPENAPI") != "" {
		if err := os.WriteFile(published, sales.OpenAPI(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(published)
	if err != nil || string(committed) != string(sales.OpenAPI()) {
		t.Fatalf("%s is stale: run `UPDATE_OPENAPI=1 go test ./services/sales -run TestOpenAPIMatchesRoutes`", published)
	}
}
