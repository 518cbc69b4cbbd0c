package customer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// importResult is the answer of POST /v1/customers/import.
type importResult struct {
	DryRun  bool `json:"dry_run"`
	Summary struct {
		New, Duplicate, Invalid int
	} `json:"summary"`
	Rows []struct {
		Index          int    `json:"index"`
		ExternalRef    string `json:"external_ref"`
		Outcome        string `json:"outcome"`
		CustomerID     string `json:"customer_id"`
		DuplicateOfRow *int   `json:"duplicate_of_row"`
		MatchedOn      string `json:"matched_on"`
		OwningTeam     string `json:"owning_team"`
		Errors         []struct {
			Field, Code, Message string
		} `json:"errors"`
	} `json:"rows"`
}

func (s *stack) importRows(user string, rows []map[string]any, dryRun bool, headers ...string) (response, importResult) {
	s.t.Helper()
	r := s.call("POST", "/v1/customers/import", user, map[string]any{"rows": rows, "dry_run": dryRun}, headers...)
	var res importResult
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &res); err != nil {
			s.t.Fatalf("import answer: %v: %s", err, r.body)
		}
	}
	return r, res
}

func TestImportEndToEnd(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			existing := s.create(repAna, company(map[string]any{"name": "Existing Steel", "tax_id": "T-100",
				"contacts": []map[string]any{{"name": "Boss", "email": "boss@existing.example"}}}))
			s.create(repBo, company(map[string]any{"name": "Southern Foods", "region": "south"}))

			rows := []map[string]any{
				0: {"external_ref": "line 2", "name": "Alpha Trading", "region": "north", "industry": "retail", "tax_id": "A-1",
					"contacts": []map[string]any{{"name": "Wang Fang", "email": "wang@alpha.example", "is_primary": true}}},
				1: {"name": "EXISTING  STEEL Ltd.", "region": "north", "industry": "steel"},
				2: {"name": "Steel Existing", "tax_id": "t100", "region": "north", "industry": "steel"},
				3: {"name": "Boss Holding", "region": "north", "industry": "steel", "contacts": []map[string]any{{"name": "Boss", "email": "BOSS@existing.example"}}},
				4: {"name": "Alpha Trading Co.", "region": "north", "industry": "retail"},
				5: {"name": "  ", "region": "north", "industry": "retail", "contacts": []map[string]any{{"name": "X", "email": "not-an-email"}}},
				6: {"name": "Southern Foods Limited", "region": "north", "industry": "fruit"},
				7: {"name": "Bo's Own", "region": "south", "industry": "fruit", "owner_id": repBo, "team": "south"},
				8: {"name": "Service Co", "region": "north", "industry": "fruit", "lifecycle_stage": "service"},
				9: {"name": "Beta Works", "region": "north", "industry": "software", "annual_revenue": 5000, "years_of_business": 3},
			}
			check := func(res importResult, dryRun bool) {
				t.Helper()
				if res.DryRun != dryRun || len(res.Rows) != len(rows) || res.Summary.New != 2 || res.Summary.Duplicate != 5 || res.Summary.Invalid != 3 {
					t.Fatalf("summary: %+v", res)
				}
				for i, r := range res.Rows {
					if r.Index != i {
						t.Fatalf("row %d has index %d", i, r.Index)
					}
				}
				want := []struct{ outcome, matched, existingID string }{
					0: {"new", "", ""}, 1: {"duplicate", "name", existing}, 2: {"duplicate", "tax_id", existing},
					3: {"duplicate", "contact_email", existing}, 4: {"duplicate", "name", ""}, 5: {"invalid", "", ""},
					6: {"duplicate", "name", ""}, 7: {"invalid", "", ""}, 8: {"invalid", "", ""}, 9: {"new", "", ""},
				}
				for i, w := range want {
					r := res.Rows[i]
					if r.Outcome != w.outcome || r.MatchedOn != w.matched || (w.existingID != "" && r.CustomerID != w.existingID) {
						t.Errorf("row %d: %+v, want %+v", i, r, w)
					}
				}
				if res.Rows[0].ExternalRef != "line 2" {
					t.Errorf("external_ref not echoed: %+v", res.Rows[0])
				}
				// Within the batch: the earlier row is named.
				if d := res.Rows[4].DuplicateOfRow; d == nil || *d != 0 {
					t.Errorf("row 4 must duplicate row 0: %+v", res.Rows[4])
				}
				// Outside the caller's scope: the team to ask, never the id.
				if r := res.Rows[6]; r.CustomerID != "" || r.OwningTeam != "south" {
					t.Errorf("row 6 must not reveal bo's customer: %+v", r)
				}
				fields := map[string]string{}
				for _, e := range res.Rows[5].Errors {
					fields[e.Field] = e.Code
				}
				if fields["name"] != "required" || fields["contacts[0].email"] != "invalid" {
					t.Errorf("row 5 errors: %+v", res.Rows[5].Errors)
				}
				if e := res.Rows[7].Errors; len(e) != 1 || e[0].Field != "owner_id" || e[0].Code != "owner_out_of_scope" {
					t.Errorf("row 7 (a rep importing for another rep): %+v", e)
				}
				if e := res.Rows[8].Errors; len(e) != 1 || e[0].Field != "lifecycle_stage" || e[0].Code != "not_allowed_for_role" {
					t.Errorf("row 8 (a rep creating a service customer): %+v", e)
				}
			}

			// A dry run answers per row and writes nothing.
			r, dry := s.importRows(repAna, rows, true, "Idempotency-Key", "import-1")
			if r.status != http.StatusOK {
				t.Fatalf("dry run: %d %s", r.status, r.body)
			}
			check(dry, true)
			if dry.Rows[0].CustomerID != "" || dry.Rows[9].CustomerID != "" || dry.Rows[4].CustomerID != "" {
				t.Fatalf("a dry run creates no ids: %s", r.body)
			}
			if n := s.count(repAna, "Alpha"); n != 0 {
				t.Fatalf("the dry run wrote %d customers", n)
			}

			// The import (same key as the dry run, which stored none).
			r, res := s.importRows(repAna, rows, false, "Idempotency-Key", "import-1")
			if r.status != http.StatusOK || r.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("import: %d %v %s", r.status, r.header, r.body)
			}
			check(res, false)
			alpha := res.Rows[0].CustomerID
			if alpha == "" || res.Rows[9].CustomerID == "" || res.Rows[4].CustomerID != alpha {
				t.Fatalf("created ids: %s", r.body)
			}
			g := s.call("GET", "/v1/customers/"+alpha, repAna, nil).json(t)
			if g["owner_id"] != repAna || g["team"] != "north" || g["lifecycle_stage"] != "lead" || g["tax_id"] != "A1" || g["created_by"] != nil && g["created_by"] != repAna {
				t.Fatalf("imported customer: %v", g)
			}
			if cs, _ := g["contacts"].([]any); len(cs) != 1 || cs[0].(map[string]any)["email"] != "wang@alpha.example" {
				t.Fatalf("imported contacts: %v", g["contacts"])
			}
			beta := s.call("GET", "/v1/customers/"+res.Rows[9].CustomerID, repAna, nil).json(t)
			if beta["value_score"].(float64) != 5300 {
				t.Fatalf("value score as create computes it: %v", beta["value_score"])
			}
			if n := s.count(repAna, "Alpha"); n != 1 {
				t.Fatalf("%d customers named Alpha, want 1 (row 4 is a duplicate)", n)
			}

			// The audit trail and stage history are a create's.
			a := s.call("GET", "/v1/customers/"+alpha+"/audit", mgrMia, nil)
			actions := map[string]string{}
			for _, e := range a.json(t)["items"].([]any) {
				m := e.(map[string]any)
				actions[m["action"].(string)] = m["actor"].(string)
			}
			if a.status != 200 || actions["create"] != repAna || actions["contact_create"] != repAna {
				t.Fatalf("audit of an imported customer: %d %s", a.status, a.body)
			}
			h := s.call("GET", "/v1/customers/"+alpha+"/stage-history", repAna, nil).json(t)["items"].([]any)
			if len(h) != 1 || h[0].(map[string]any)["to"] != "lead" || h[0].(map[string]any)["reason"] != "created" {
				t.Fatalf("stage history: %v", h)
			}

			// A retry with the key gets the first answer and creates nothing.
			r2, again := s.importRows(repAna, rows, false, "Idempotency-Key", "import-1")
			if r2.status != 200 || r2.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(r2.body, r.body) {
				t.Fatalf("replay: %d %v %s", r2.status, r2.header, r2.body)
			}
			_ = again
			// Without the key the same rows are now all duplicates or invalid.
			_, third := s.importRows(repAna, rows, false)
			if third.Summary.New != 0 || third.Rows[0].CustomerID != alpha || third.Rows[0].MatchedOn != "name" {
				t.Fatalf("second import: %+v", third)
			}
		})
	}
}

// count is how many customers user sees whose name matches q.
func (s *stack) count(user, q string) int {
	s.t.Helper()
	r := s.call("GET", "/v1/customers?q="+url.QueryEscape(q), user, nil)
	if r.status != 200 {
		s.t.Fatalf("list: %d %s", r.status, r.body)
	}
	return len(r.json(s.t)["items"].([]any))
}

func TestImportScopeAndLimits(t *testing.T) {
	s := newStack(t, backends[0].DSN(t), stackOpts{})
	row := func(name, team string) map[string]any {
		return map[string]any{"name": name, "region": "north", "industry": "steel", "team": team}
	}

	// Without customers:write the whole request is refused.
	if r, _ := s.importRows(analyst, []map[string]any{row("Analyst Co", "")}, true); r.status != http.StatusForbidden {
		t.Fatalf("analyst: %d %s", r.status, r.body)
	}
	if r, _ := s.importRows("", []map[string]any{row("Anon Co", "")}, true); r.status != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}

	// A manager imports for its team, not for another.
	r, res := s.importRows(mgrMia, []map[string]any{
		{"name": "Mia North", "region": "north", "industry": "steel", "team": "north", "owner_id": repAna, "lifecycle_stage": "transacting"},
		{"name": "Mia South", "region": "south", "industry": "steel", "team": "south", "owner_id": repBo},
	}, false)
	if r.status != 200 || res.Rows[0].Outcome != "new" || res.Rows[1].Outcome != "invalid" || res.Rows[1].Errors[0].Code != "owner_out_of_scope" {
		t.Fatalf("manager import: %d %s", r.status, r.body)
	}
	if g := s.call("GET", "/v1/customers/"+res.Rows[0].CustomerID, repAna, nil); g.status != 200 || g.json(t)["owner_id"] != repAna {
		t.Fatalf("the manager's import for ana: %d %s", g.status, g.body)
	}
	if s.count(mgrMia, "Mia South") != 0 {
		t.Fatal("the refused row was created")
	}

	// No rows, too many rows, malformed rows: one error for the request.
	if r, _ := s.importRows(repAna, []map[string]any{}, true); r.status != 422 {
		t.Fatalf("no rows: %d %s", r.status, r.body)
	}
	many := make([]map[string]any, 5001)
	for i := range many {
		many[i] = map[string]any{"name": fmt.Sprint("n", i)}
	}
	if r, _ := s.importRows(repAna, many, true); r.status != 422 || !bytes.Contains(r.body, []byte(`"too_many"`)) {
		t.Fatalf("5,001 rows: %d %.300s", r.status, r.body)
	}
	if r := s.call("POST", "/v1/customers/import", repAna, `{"rows":[{"name":"x","nickname":"y"}]}`); r.status != 400 || r.code(t) != "unknown_field" {
		t.Fatalf("unknown field: %d %s", r.status, r.body)
	}

	// A full chunk of realistic rows is over the service's 1 MiB body limit
	// and still accepted here.
	full := make([]map[string]any, 5000)
	for i := range full {
		full[i] = map[string]any{"external_ref": fmt.Sprint("row ", i+2), "name": fmt.Sprintf("Chunk Trading Company %05d", i), "tax_id": fmt.Sprintf("91310000MA%08d", i),
			"region": "north", "industry": "retail", "phone": "+86 21 5555 0000", "address": "88 Century Avenue, Pudong, Shanghai",
			"contacts": []map[string]any{{"name": "Zhang Wei", "email": fmt.Sprintf("buyer%05d@chunk.example", i)}}}
	}
	if raw, _ := json.Marshal(map[string]any{"rows": full, "dry_run": true}); len(raw) <= 1<<20 {
		t.Fatalf("the chunk is only %d bytes", len(raw))
	}
	r, res = s.importRows(repAna, full, true)
	if r.status != 200 || res.Summary.New != 5000 {
		t.Fatalf("a full chunk: %d %+v %.300s", r.status, res.Summary, r.body)
	}
}

// Imports racing each other (and a create) over the same companies create
// each one once: the loser's batch is refused by the unique indexes, it looks
// again and answers those rows as duplicates of the winner's customers.
func TestConcurrentImportsCreateEachCustomerOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			rows := make([]map[string]any, 300)
			for i := range rows {
				rows[i] = map[string]any{"name": fmt.Sprintf("Racing Import %03d", i), "region": "north", "industry": "steel"}
			}
			var wg sync.WaitGroup
			results := make([]importResult, 4)
			for k := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, res := s.importRows(repAna, rows, false)
					if r.status != http.StatusOK {
						t.Errorf("import %d: %d %s", k, r.status, r.body)
					}
					results[k] = res
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.call("POST", "/v1/customers", repAna, map[string]any{"name": "Racing Import 150", "region": "north", "industry": "steel"})
			}()
			wg.Wait()
			if t.Failed() {
				return
			}
			for i := range rows {
				ids, news := map[string]bool{}, 0
				for _, res := range results {
					r := res.Rows[i]
					if r.Outcome == "new" {
						news++
					} else if r.Outcome != "duplicate" || r.MatchedOn != "name" {
						t.Fatalf("row %d: %+v", i, r)
					}
					ids[r.CustomerID] = true
				}
				if len(ids) != 1 || ids[""] || news > 1 || (news == 0 && i != 150) {
					t.Fatalf("row %d: %d answers new, ids %v", i, news, ids)
				}
			}
			var n int64
			if err := s.app.Deps().DB.Table("customers").Where("name LIKE ?", "Racing Import%").Count(&n).Error; err != nil || n != 300 {
				t.Fatalf("%d customers (%v), want 300", n, err)
			}
		})
	}
}
