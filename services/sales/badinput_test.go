package sales_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestBadInputChangesNothing sends every kind of bad request to the sales API
// on each database — unknown territory, a rep without capacity, a stage moved
// back without permission, negative amounts, lost without a reason, and the
// rest of the validation — and checks each gets the right 4xx with a code
// (and the offending field), and that nothing changed.
func TestBadInputChangesNothing(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, stackOpts{temporal: hostPort, namespace: namespace})
			terr := s.northSteel(1) // capacity 1: each rep holds one open lead at most
			// rep-ana gets a lead (and is then full); rep-cy gets the next one (full too).
			lead := s.must(201, "POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": companyName("Bad Input Co"), "region": "north", "industry": "steel"})
			leadID := lead["id"].(string)
			s.must(201, "POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": companyName("Second Co"), "region": "north", "industry": "steel"})
			contacted := s.must(201, "POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": companyName("Third Co"), "region": "north", "industry": "steel"})
			s.must(200, "POST", "/v1/leads/"+contacted["id"].(string)+"/contacts", contacted["owner_id"].(string), map[string]any{"channel": "call", "summary": "hello"})
			custID := lead["customer_id"].(string)
			opp := s.must(201, "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "Steel beams", "stage": 3, "amount_minor": 1000, "currency": "EUR"})
			oppID := opp["id"].(string)
			// A customer of another rep (south) that rep-ana cannot see.
			s.call(s.customer.Base, "GET", "/v1/customers", repBo, nil) // the customer service learns its users from their tokens
			other := s.call(s.customer.Base, "POST", "/v1/customers", admin, map[string]any{"name": companyName("Hidden"), "region": "south", "industry": "steel", "owner_id": repBo, "team": "south"})
			if other.status != 201 {
				t.Fatalf("customer: %d %s", other.status, other.body)
			}
			hidden := other.json(t)["id"].(string)

			snapshot := func() map[string]any {
				return map[string]any{
					"lead":        strip(s.must(200, "GET", "/v1/leads/"+leadID, admin, nil)),
					"lead_tl":     len(s.must(200, "GET", "/v1/leads/"+leadID+"/timeline", admin, nil)["items"].([]any)),
					"leads":       len(s.must(200, "GET", "/v1/leads?limit=200", admin, nil)["items"].([]any)),
					"opp":         strip(s.must(200, "GET", "/v1/opportunities/"+oppID, admin, nil)),
					"opps":        len(s.must(200, "GET", "/v1/opportunities?limit=200", admin, nil)["items"].([]any)),
					"territories": mustJSON(s.must(200, "GET", "/v1/territories", admin, nil)),
				}
			}
			before := snapshot()
			future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			L, O, T := "/v1/leads/"+leadID, "/v1/opportunities/"+oppID, "/v1/territories/"+terr
			unknown := "/v1/leads/00000000-0000-4000-8000-000000000000"
			cases := []struct {
				name, method, path, user string
				body                     any
				status                   int
				code, field              string
			}{
				// territories
				{"territory without name or key", "POST", "/v1/territories", admin, map[string]any{"team": "north", "manager_id": mgrMia}, 422, "validation_failed", "region"},
				{"territory bad strategy", "POST", "/v1/territories", admin, map[string]any{"name": "X", "region": "x", "team": "north", "manager_id": mgrMia, "strategy": "random"}, 422, "validation_failed", "strategy"},
				{"rep with zero capacity", "POST", "/v1/territories", admin, map[string]any{"name": "X", "region": "x", "team": "north", "manager_id": mgrMia, "reps": []map[string]any{{"rep_id": repAna, "capacity": 0}}}, 422, "validation_failed", "reps[0].capacity"},
				{"rep listed twice", "POST", "/v1/territories", admin, map[string]any{"name": "X", "region": "x", "team": "north", "manager_id": mgrMia, "reps": []map[string]any{{"rep_id": repAna, "capacity": 1}, {"rep_id": repAna, "capacity": 2}}}, 422, "validation_failed", "reps[1].rep_id"},
				{"territory of another team", "POST", "/v1/territories", mgrMia, map[string]any{"name": "X", "region": "x", "team": "south"}, 403, "team_out_of_scope", ""},
				{"rep defines a territory", "POST", "/v1/territories", repAna, map[string]any{"name": "X", "region": "x", "team": "north"}, 403, "forbidden", ""},
				{"duplicate territory", "POST", "/v1/territories", admin, map[string]any{"name": "Other name", "region": "north", "industry": "steel", "team": "north", "manager_id": mgrMia}, 409, "territory_exists", ""},
				{"territory unknown field", "POST", "/v1/territories", admin, map[string]any{"name": "X", "region": "x", "team": "north", "manager_id": mgrMia, "colour": "red"}, 400, "unknown_field", ""},
				{"unknown territory", "GET", "/v1/territories/00000000-0000-4000-8000-000000000000", admin, nil, 404, "territory_not_found", ""},
				{"patch unknown territory", "PATCH", "/v1/territories/00000000-0000-4000-8000-000000000000", admin, map[string]any{"name": "Y"}, 404, "territory_not_found", ""},
				{"patch territory to no key", "PATCH", T, admin, map[string]any{"region": "", "industry": ""}, 422, "validation_failed", "region"},
				{"negative capacity", "PUT", T + "/reps/" + repAna, mgrMia, map[string]any{"capacity": -1}, 422, "validation_failed", "capacity"},
				{"rep of unknown territory", "PUT", "/v1/territories/00000000-0000-4000-8000-000000000000/reps/" + repAna, admin, map[string]any{"capacity": 3}, 404, "territory_not_found", ""},
				// leads
				{"bad source", "POST", "/v1/leads", repAna, map[string]any{"source": "pigeon", "company_name": "A", "region": "north", "industry": "steel"}, 422, "validation_failed", "source"},
				{"no company", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "region": "north", "industry": "steel"}, 422, "validation_failed", "company_name"},
				{"company without letters", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": "---", "region": "north", "industry": "steel"}, 422, "validation_failed", "company_name"},
				{"no region", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": "A", "industry": "steel"}, 422, "validation_failed", "region"},
				{"bad email", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": "A", "region": "north", "industry": "steel", "contact_email": "not-an-email"}, 422, "validation_failed", "contact_email"},
				{"received in the future", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": "A", "region": "north", "industry": "steel", "received_at": future}, 422, "validation_failed", "received_at"},
				{"received_at not a time", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": "A", "region": "north", "industry": "steel", "received_at": "yesterday"}, 400, "invalid_value", ""},
				{"unknown customer", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "customer_id": "00000000-0000-4000-8000-000000000000"}, 422, "validation_failed", "customer_id"},
				{"another rep's customer", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "customer_id": hidden}, 422, "validation_failed", "customer_id"},
				{"customer id not an id", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "customer_id": "acme"}, 422, "validation_failed", "customer_id"},
				{"rep imports a back-dated lead", "POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": companyName("Import Co"), "region": "north", "industry": "steel", "import": true}, 403, "forbidden", ""},
				{"analyst creates a lead", "POST", "/v1/leads", analyst, map[string]any{"source": "web", "company_name": "A", "region": "north", "industry": "steel"}, 403, "forbidden", ""},
				{"lead amount as string", "POST", "/v1/leads", repAna, `{"source": 7}`, 400, "invalid_type", ""},
				{"contact on unknown lead", "POST", unknown + "/contacts", admin, map[string]any{"channel": "call", "summary": "x"}, 404, "lead_not_found", ""},
				{"contact bad channel", "POST", L + "/contacts", repAna, map[string]any{"channel": "telepathy", "summary": "x"}, 422, "validation_failed", "channel"},
				{"contact without summary", "POST", L + "/contacts", repAna, map[string]any{"channel": "call"}, 422, "validation_failed", "summary"},
				{"contact in the future", "POST", L + "/contacts", repAna, map[string]any{"channel": "call", "summary": "x", "at": future}, 422, "validation_failed", "at"},
				{"qualify an uncontacted lead", "POST", L + "/qualify", repAna, map[string]any{}, 422, "invalid_lead_transition", ""},
				{"convert an uncontacted lead", "POST", L + "/convert", repAna, map[string]any{}, 422, "invalid_lead_transition", ""},
				{"disqualify without reason", "POST", L + "/disqualify", repAna, map[string]any{"reason": " "}, 422, "validation_failed", "reason"},
				{"reassign to a rep without capacity", "POST", L + "/reassign", mgrMia, map[string]any{"to_owner_id": repCy, "reason": "cover"}, 422, "rep_at_capacity", ""},
				{"reassign outside the territory", "POST", L + "/reassign", mgrMia, map[string]any{"to_owner_id": repBo, "reason": "cover"}, 422, "rep_not_in_territory", ""},
				{"reassign to the owner", "POST", L + "/reassign", mgrMia, map[string]any{"to_owner_id": repAna, "reason": "x"}, 422, "same_owner", ""},
				{"reassign without reason", "POST", L + "/reassign", mgrMia, map[string]any{"to_owner_id": repDan}, 422, "validation_failed", "reason"},
				{"reassign to owner and pool", "POST", L + "/reassign", mgrMia, map[string]any{"to_owner_id": repDan, "to_pool": true, "reason": "x"}, 422, "validation_failed", "to_pool"},
				{"move the customer to nobody", "POST", L + "/reassign", mgrMia, map[string]any{"move_customer": true, "reason": "x"}, 422, "validation_failed", "move_customer"},
				{"rep reassigns", "POST", L + "/reassign", repAna, map[string]any{"to_owner_id": repDan, "reason": "x"}, 403, "forbidden", ""},
				{"other team's manager reassigns", "POST", L + "/reassign", mgrMax, map[string]any{"to_owner_id": repDan, "reason": "x"}, 404, "lead_not_found", ""},
				{"list limit 0", "GET", "/v1/leads?limit=0", repAna, nil, 400, "invalid_limit", ""},
				{"list bad cursor", "GET", "/v1/leads?cursor=garbage", repAna, nil, 400, "invalid_cursor", ""},
				{"list bad state", "GET", "/v1/leads?state=won", repAna, nil, 400, "invalid_query", "state"},
				{"lead id not an id", "GET", "/v1/leads/acme", repAna, nil, 404, "lead_not_found", ""},
				// opportunities
				{"negative amount", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "N", "amount_minor": -5}, 422, "validation_failed", "amount_minor"},
				{"lowercase currency", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "N", "currency": "eur"}, 422, "validation_failed", "currency"},
				{"impossible close date", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "N", "expected_close": "2027-13-01"}, 422, "validation_failed", "expected_close"},
				{"probability over 100", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "N", "probability": 101}, 422, "validation_failed", "probability"},
				{"stage 5", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "N", "stage": 5}, 422, "validation_failed", "stage"},
				{"opportunity on another's customer", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": hidden, "name": "N"}, 422, "validation_failed", "customer_id"},
				{"rep gives an opportunity away", "POST", "/v1/opportunities", repAna, map[string]any{"customer_id": custID, "name": "N", "owner_id": repCy}, 403, "owner_out_of_scope", ""},
				{"stage backwards without permission", "POST", O + "/stage", repAna, map[string]any{"stage": 1, "reason": "scope cut"}, 403, "stage_backwards_forbidden", ""},
				{"stage backwards without reason", "POST", O + "/stage", mgrMia, map[string]any{"stage": 1}, 422, "validation_failed", "reason"},
				{"same stage", "POST", O + "/stage", repAna, map[string]any{"stage": 3}, 422, "stage_unchanged", ""},
				{"stage out of range", "POST", O + "/stage", repAna, map[string]any{"stage": 9}, 422, "validation_failed", "stage"},
				{"lost without reason", "POST", O + "/lost", repAna, map[string]any{"competitor": "Acme"}, 422, "validation_failed", "reason"},
				{"patch negative amount", "PATCH", O, repAna, map[string]any{"amount_minor": -1}, 422, "validation_failed", "amount_minor"},
				{"patch stale version", "PATCH", O, repAna, map[string]any{"amount_minor": 5, "version": 99}, 409, "version_conflict", ""},
				{"patch nothing", "PATCH", O, repAna, map[string]any{}, 422, "validation_failed", ""},
				{"other rep moves the stage", "POST", O + "/stage", repCy, map[string]any{"stage": 4}, 404, "opportunity_not_found", ""},
				{"funnel as nobody", "GET", "/v1/funnel", "", nil, 401, "unauthenticated", ""},
				{"list bad stage", "GET", "/v1/opportunities?stage=x", repAna, nil, 400, "invalid_query", ""},
			}
			for _, c := range cases {
				r := s.api(c.method, c.path, c.user, c.body)
				if r.status != c.status {
					t.Errorf("%s: status %d %s, want %d", c.name, r.status, r.body, c.status)
					continue
				}
				body := r.json(t)
				if c.code != "" && body["code"] != c.code {
					t.Errorf("%s: code %v, want %s (%s)", c.name, body["code"], c.code, r.body)
				}
				if c.field != "" && !strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
					t.Errorf("%s: no field error for %s: %s", c.name, c.field, r.body)
				}
				if _, leaks := body["error"]; leaks {
					t.Errorf("%s: leaks an internal error: %s", c.name, r.body)
				}
			}
			if after := snapshot(); !reflect.DeepEqual(before, after) {
				t.Fatalf("bad input changed something:\nbefore %v\nafter  %v", before, after)
			}
			if r := s.api("GET", "/v1/leads/"+leadID, repAna, nil); r.status != http.StatusOK {
				t.Fatalf("lead gone: %d", r.status)
			}
		})
	}
}

// strip drops fields that legitimately change between reads.
func strip(m map[string]any) map[string]any {
	delete(m, "workflow_url")
	return m
}
