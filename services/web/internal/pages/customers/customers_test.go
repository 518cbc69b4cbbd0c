package customers_test

import (
	"os"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// The list shows the customers of the user's scope and only those; search
// narrows it; it reads in Chinese for a browser that asks.
func TestCustomerListScopeSearchAndLanguage(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	ana := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Anhui Pumps Co"}))
	bo := s.Create("rep-bo", stacktest.Company(map[string]any{"name": "Boshan Valves Ltd"}))

	rep := s.Client(t, "rep-ana")
	p := rep.Get("/customers")
	if p.Status != 200 || !strings.Contains(p.Body, "Anhui Pumps Co") || !strings.Contains(p.Body, "/customers/"+ana) {
		t.Fatalf("the rep's list lacks its customer (%d):\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, "Boshan Valves") || strings.Contains(p.Body, bo) {
		t.Fatal("a second rep's customer appears in the rep's list")
	}

	// The owner column names the owner: the rep knows her own name, the
	// manager reads it from the directory.
	if !strings.Contains(p.Body, ">Ana (rep, north)</td>") {
		t.Errorf("the rep's list does not name her as the owner:\n%s", p.Body)
	}

	mgr := s.Client(t, "mgr-mia")
	if p := mgr.Get("/customers?q=Anhui"); !strings.Contains(p.Body, "Anhui Pumps Co") || strings.Contains(p.Body, "Boshan") {
		t.Fatalf("the north manager's search for Anhui:\n%s", p.Body)
	} else if !strings.Contains(p.Body, ">Ana (rep, north)</td>") {
		t.Errorf("the manager's list does not name the owner:\n%s", p.Body)
	}
	if p := mgr.Get("/customers?q=Boshan"); strings.Contains(p.Body, "Boshan Valves") {
		t.Fatal("the north manager sees a south customer")
	}
	// htmx asks for the rows only.
	if p := mgr.Get("/customers?q=Anhui", "HX-Request", "true", "HX-Target", "customer-rows"); strings.Contains(p.Body, "<html") || !strings.Contains(p.Body, "Anhui Pumps Co") {
		t.Fatalf("the htmx answer is not the rows part:\n%s", p.Body)
	}
	zh := mgr.Get("/customers", "Accept-Language", "zh-CN,zh;q=0.9")
	if !strings.Contains(zh.Body, "生命周期阶段") || strings.Contains(zh.Body, "customers.") {
		t.Fatalf("the Chinese page is not Chinese or shows message ids:\n%s", zh.Body)
	}
	// A filter value the service does not know is dropped, not an error.
	if p := mgr.Get("/customers?value_class=Z&lifecycle_stage=nope"); p.Status != 200 {
		t.Fatalf("unknown filter values: %d", p.Status)
	}
}
