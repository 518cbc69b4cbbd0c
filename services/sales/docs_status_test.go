package sales_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// documentedStatuses reads the error table of an API page: rows such as
// "| 400 | `malformed_json`, `invalid_query` | meaning |" give each code its status.
func documentedStatuses(t *testing.T, path string) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| ([45][0-9][0-9]) \\| ([^|]*) \\|")
	code := regexp.MustCompile("`([a-z_]+)`")
	out := map[string]int{}
	for _, line := range strings.Split(string(raw), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		status, _ := strconv.Atoi(m[1])
		for _, c := range code.FindAllStringSubmatch(m[2], -1) {
			out[c[1]] = status
		}
	}
	return out
}

// TestDocumentedStatusesMatchTheAPI sends the examples of docs/api/sales.md and
// bad input the page's error table covers, and checks each answer carries the
// code, and the status, the page documents for it.
func TestDocumentedStatusesMatchTheAPI(t *testing.T) {
	doc := documentedStatuses(t, "../../docs/api/sales.md")
	s := newStack(t, backends[1].DSN, stackOpts{noWorker: true})
	long := strings.Repeat("k", 201)
	lead := map[string]any{"source": "web", "company_name": "Docs Co", "region": "north", "industry": "steel"}
	// The documented list example answers 200.
	if r := s.api("GET", "/v1/leads?state=new&team=north&limit=50", mgrMia, nil); r.status != 200 {
		t.Fatalf("documented example: %d %s", r.status, r.body)
	}
	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		code               string
	}{
		{"unknown state", "GET", "/v1/leads?state=bogus", nil, nil, "invalid_query"},
		{"unknown opportunity status", "GET", "/v1/opportunities?status=maybe", nil, nil, "invalid_query"},
		{"limit 0", "GET", "/v1/leads?limit=0", nil, nil, "invalid_limit"},
		{"garbage cursor", "GET", "/v1/leads?cursor=garbage", nil, nil, "invalid_cursor"},
		{"over-long Idempotency-Key", "POST", "/v1/leads", lead, []string{"Idempotency-Key", long}, "invalid_idempotency_key"},
		{"over-long Idempotency-Key on an opportunity", "POST", "/v1/opportunities", map[string]any{"name": "N"}, []string{"Idempotency-Key", long}, "invalid_idempotency_key"},
		{"unknown field", "POST", "/v1/leads", `{"source":"web","colour":"red"}`, nil, "unknown_field"},
		{"malformed JSON", "POST", "/v1/leads", `{"source":`, nil, "malformed_json"},
		{"no such lead", "GET", "/v1/leads/0190a000-0000-7000-8000-000000000000", nil, nil, "lead_not_found"},
	}
	for _, c := range cases {
		want, ok := doc[c.code]
		if !ok {
			t.Errorf("%s: docs/api/sales.md does not document %s", c.name, c.code)
			continue
		}
		r := s.api(c.method, c.path, mgrMia, c.body, c.headers...)
		if r.status != want || r.code(t) != c.code {
			t.Errorf("%s: the API answers %d %s; docs/api/sales.md says %d %s", c.name, r.status, r.code(t), want, c.code)
		}
	}
}
