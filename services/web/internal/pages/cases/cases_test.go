package cases_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

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

// must is a page that answered status and contains every one of texts, and
// shows no message id untranslated.
func must(t *testing.T, what string, p webtest.Page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page does not contain %q\n%s", what, s, p.Body)
		}
	}
	if m := regexp.MustCompile(`(cases|customer360)\.[a-z_]+\.?[a-z0-9_.]*`).FindString(p.Body); m != "" {
		t.Errorf("%s shows the message id %q untranslated", what, m)
	}
}

// The cases pages against the real services: a rep files a case for her
// customer through the form and lands on it; refusals show next to their
// fields and store nothing; the list and the customer's page show the case;
// another team's rep is told there is no such page; an analyst reads but is
// not offered the form, and a forged filing is refused readably.
func TestFileAndReadCases(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	name := fmt.Sprintf("Qingdao Cranes %d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	cust := s.Create("rep-ana", stacktest.Company(map[string]any{"name": name}))
	rep := s.Client(t, "rep-ana")
	stored := func() int {
		return len(s.ServiceCall(t, 200, "GET", "/v1/cases", "rep-ana", nil)["items"].([]any))
	}

	p := rep.Get("/cases")
	must(t, "the empty list", p, 200, "No cases match these filters.", `method="post" action="/cases"`,
		`<option value="`+cust+`">`+name+`</option>`, `name="_idem"`)

	t.Run("refusals show next to their fields and store nothing", func(t *testing.T) {
		p := rep.Post("/cases", url.Values{"customer_id": {cust}, "type": {"complaint"}, "channel": {"phone"}, "subject": {"  "},
			"description": {"kept as typed"}})
		must(t, "an empty subject", p, http.StatusUnprocessableEntity, `id="c-subject-err"`, "This is required.", "kept as typed")
		if !regexp.MustCompile(`id="c-subject"[^>]*aria-invalid="true"[^>]*aria-describedby="c-subject-err"`).MatchString(p.Body) {
			t.Fatalf("the subject field is not marked invalid:\n%s", p.Body)
		}
		p = rep.Post("/cases", url.Values{"customer_id": {"0190a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d2e"}, "type": {"repair"},
			"channel": {"email"}, "subject": {"Pump leaks"}})
		must(t, "an unknown customer", p, http.StatusUnprocessableEntity, `id="c-customer-err"`, "No such customer, or not yours to see.",
			`value="Pump leaks"`)
		if n := stored(); n != 0 {
			t.Fatalf("refused filings stored %d cases", n)
		}
	})

	var id string
	t.Run("a rep files a case and lands on it", func(t *testing.T) {
		p := rep.Post("/cases", url.Values{"customer_id": {cust}, "type": {"complaint"}, "priority": {""}, "channel": {"phone"},
			"subject": {"Crane stops under load"}, "description": {"Twice a day, above 30 t."}})
		m := regexp.MustCompile(`/cases/([0-9a-f-]{36})\?done=filed$`).FindStringSubmatch(p.URL)
		if m == nil {
			t.Fatalf("after filing the browser is at %s (%d):\n%s", p.URL, p.Status, p.Body)
		}
		id = m[1]
		must(t, "the new case", p, 200, "The case is filed.", "Crane stops under load", "Twice a day, above 30 t.",
			">P2<", "Complaint", "New", "Phone", `href="/customers/`+cust+`">`+name+`</a>`, "Filed", "to team north")
		if n := stored(); n != 1 {
			t.Fatalf("%d cases stored, want 1", n)
		}
	})

	t.Run("the list, its filters and the customer's page show it", func(t *testing.T) {
		must(t, "the list", rep.Get("/cases"), 200, `href="/cases/`+id+`"`, "Crane stops under load", name, "In the team&#39;s queue")
		must(t, "complaints", rep.Get("/cases?type=complaint&priority=P2&state=new"), 200, "Crane stops under load")
		if p := rep.Get("/cases?type=repair"); strings.Contains(p.Body, "Crane stops under load") {
			t.Fatal("the repair filter shows a complaint")
		}
		must(t, "customer 360", rep.Get("/customers/"+cust), 200, "Service cases", `href="/cases/`+id+`"`)
		must(t, "the list in Chinese", rep.Get("/cases", "Accept-Language", "zh-CN,zh;q=0.9"), 200, "服务工单", "投诉")
	})

	t.Run("another team's rep gets no such page", func(t *testing.T) {
		bo := s.Client(t, "rep-bo")
		if p := bo.Get("/cases/" + id); p.Status != http.StatusNotFound || strings.Contains(p.Body, "Crane stops") {
			t.Fatalf("rep-bo reads rep-ana's case: %d", p.Status)
		}
		if p := bo.Get("/cases"); strings.Contains(p.Body, "Crane stops") {
			t.Fatal("rep-bo's list shows rep-ana's case")
		}
	})

	t.Run("an analyst reads, is not offered the form, and is refused readably", func(t *testing.T) {
		an := s.Client(t, "analyst-ali")
		p := an.Get("/cases")
		must(t, "the analyst's list", p, 200, "Crane stops under load")
		if strings.Contains(p.Body, `method="post" action="/cases"`) || strings.Contains(p.Body, "File the case") {
			t.Fatal("an analyst is offered the filing form")
		}
		must(t, "the analyst's case page", an.Get("/cases/"+id), 200, "Crane stops under load", "Filed")
		p = an.Post("/cases", url.Values{"customer_id": {cust}, "type": {"request"}, "channel": {"web"}, "subject": {"forged"}})
		must(t, "an analyst's filing", p, http.StatusForbidden, "Your role does not work cases, so you may not file one.")
		if n := stored(); n != 1 {
			t.Fatalf("%d cases stored after a refused filing, want 1", n)
		}
	})
}
