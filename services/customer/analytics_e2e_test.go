package customer_test

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// TestAnalytics reads the managers' analytics on each database over fifteen
// customers of two teams with known values, classes, stages and last
// contacts, and checks each figure against sums made here: every role sees
// only its scope (an admin and an analyst everyone, a manager its team, a
// rep its own customers), a team outside the scope gives empty figures; the
// Pareto series is cumulative and ends at the whole; care coverage counts
// the customers in care contacted within their class's cadence — unknown for
// all before the first care sweep, then per class under the sweep's terms.
func TestAnalytics(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			gdb := s.app.Deps().DB
			now := time.Now().UTC().Truncate(time.Second)
			day := 24 * time.Hour
			type cust struct {
				owner, team, stage, rel, class string
				revenue                        float64
				contact                        time.Duration // ago; 0: never
			}
			book := []cust{
				{repAna, "north", "transacting", "stability", "A", 900_000, 10 * day}, // A, contacted within 30 days
				{repAna, "north", "transacting", "stability", "A", 500_000, 40 * day}, // A, not
				{repAna, "north", "service", "formation", "B", 120_000, 50 * day},     // B within 60
				{repAna, "north", "service", "", "B", 80_000, 70 * day},               // B, not
				{repAna, "north", "transacting", "decline", "C", 20_000, 0},           // C, never
				{"rep-cy", "north", "transacting", "", "C", 10_000, 100 * day},        // C within 120
				{"rep-cy", "north", "prospect", "exploration", "C", 5_000, 0},         // not in care
				{"rep-cy", "north", "lead", "", "", 0, 0},                             // no class
				{"rep-cy", "north", "lost", "decline", "C", 1_000, 0},                 // not in care
				{"rep-cy", "north", "transacting", "", "", 3_000, 0},                  // in a care stage, no class
				{repBo, "south", "transacting", "stability", "A", 700_000, day},
				{repBo, "south", "service", "", "B", 90_000, 90 * day},
				{repBo, "south", "transacting", "formation", "C", 7_000, 5 * day},
				{repBo, "south", "lead", "", "", 0, 0},
				{repBo, "south", "prospect", "", "C", 2_000, 0},
			}
			ids := make([]string, len(book))
			for i, c := range book {
				body := company(map[string]any{"owner_id": c.owner, "team": c.team, "lifecycle_stage": c.stage, "annual_revenue": c.revenue})
				if c.rel != "" {
					body["relationship_stage"] = c.rel
				}
				ids[i] = s.create(admin, body)
				var last any
				if c.contact > 0 {
					last = now.Add(-c.contact)
				}
				if err := gdb.Exec("UPDATE customers SET value_class = ?, last_contact_at = ?, care_from = COALESCE(?, care_from) WHERE id = ?",
					c.class, last, last, ids[i]).Error; err != nil {
					t.Fatal(err)
				}
			}
			get := func(path, user string) map[string]any {
				t.Helper()
				r := s.call("GET", path, user, nil)
				if r.status != 200 {
					t.Fatalf("%s as %s: %d %s", path, user, r.status, r.body)
				}
				return r.json(t)
			}
			// expect sums the book's figures of the customers keep selects.
			expect := func(keep func(cust) bool) (string, string, string, float64) {
				n, total := 0, 0.0
				classN, classV := map[string]int{}, map[string]float64{}
				life, rel := map[string]int{}, map[string]int{}
				for _, c := range book {
					if !keep(c) {
						continue
					}
					n++
					total += c.revenue
					cl := c.class
					if cl == "" {
						cl = "none"
					}
					classN[cl]++
					classV[cl] += c.revenue
					life[c.stage]++
					r := c.rel
					if r == "" {
						r = "none"
					}
					rel[r]++
				}
				var cls, ls, rs []string
				for _, cl := range []string{"A", "B", "C", "none"} {
					cls = append(cls, fmt.Sprintf("%s:%d:%.0f", cl, classN[cl], classV[cl]))
				}
				for _, st := range []string{"lead", "prospect", "transacting", "service", "lost"} {
					ls = append(ls, fmt.Sprintf("%s:%d", st, life[st]))
				}
				for _, st := range []string{"exploration", "formation", "stability", "decline", "none"} {
					rs = append(rs, fmt.Sprintf("%s:%d", st, rel[st]))
				}
				return fmt.Sprint(n, " ", cls), fmt.Sprint(ls), fmt.Sprint(rs), total
			}
			got := func(a map[string]any) (string, string, string) {
				var cls, ls, rs []string
				for _, it := range a["classes"].([]any) {
					c := it.(map[string]any)
					cls = append(cls, fmt.Sprintf("%s:%v:%.0f", c["value_class"], c["customers"], c["value"]))
				}
				for _, it := range a["lifecycle_stages"].([]any) {
					c := it.(map[string]any)
					ls = append(ls, fmt.Sprintf("%s:%v", c["stage"], c["customers"]))
				}
				for _, it := range a["relationship_stages"].([]any) {
					c := it.(map[string]any)
					rs = append(rs, fmt.Sprintf("%s:%v", c["stage"], c["customers"]))
				}
				return fmt.Sprint(a["customers"], " ", cls), fmt.Sprint(ls), fmt.Sprint(rs)
			}
			for _, c := range []struct {
				user, query string
				keep        func(cust) bool
			}{
				{admin, "", func(cust) bool { return true }},
				{analyst, "", func(cust) bool { return true }},
				{mgrMia, "", func(c cust) bool { return c.team == "north" }},
				{mgrMia, "?owner_id=rep-cy", func(c cust) bool { return c.owner == "rep-cy" }},
				{mgrMia, "?team=south", func(cust) bool { return false }},
				{repAna, "", func(c cust) bool { return c.owner == repAna }},
				{repBo, "", func(c cust) bool { return c.owner == repBo }},
				{admin, "?team=south", func(c cust) bool { return c.team == "south" }},
			} {
				a := get("/v1/analytics/customers"+c.query, c.user)
				wantC, wantL, wantR, total := expect(c.keep)
				gotC, gotL, gotR := got(a)
				if gotC != wantC || gotL != wantL || gotR != wantR || a["total_value"].(float64) != total {
					t.Errorf("%s%s:\n got %s %s %s total %v\nwant %s %s %s total %v", c.user, c.query, gotC, gotL, gotR, a["total_value"], wantC, wantL, wantR, total)
				}
			}

			// The Pareto series of everyone: 15 customers, one per point,
			// most valuable first; the top one brings 900,000 of 2,435,000.
			a := get("/v1/analytics/customers", admin)
			pareto := a["pareto"].([]any)
			first, last := pareto[0].(map[string]any), pareto[len(pareto)-1].(map[string]any)
			if len(pareto) != 15 || first["customers"] != 1.0 || first["value"] != 900_000.0 || first["value_share"] != math.Round(900_000/2_438_000.0*1e4)/1e4 ||
				last["customers_share"] != 1.0 || last["value_share"] != 1.0 {
				t.Errorf("pareto %v", pareto)
			}
			if cl := a["classes"].([]any)[0].(map[string]any); cl["value_share"] != math.Round(2_100_000/2_438_000.0*1e4)/1e4 || cl["customers_share"] != 0.2 {
				t.Errorf("class A shares %v", cl)
			}

			// Care coverage, first without terms: every customer in care has
			// an unknown cadence.
			coverage := func(user, query string) (string, map[string]any) {
				t.Helper()
				c := get("/v1/analytics/care-coverage"+query, user)
				var lines []string
				for _, it := range append(c["classes"].([]any), c["total"]) {
					m := it.(map[string]any)
					lines = append(lines, fmt.Sprintf("%s %v/%v ?%v %v", m["value_class"], m["contacted"], m["customers"], m["cadence_unknown"], m["share"]))
				}
				return fmt.Sprint(lines), c
			}
			if lines, c := coverage(admin, ""); lines != "[A 0/3 ?3 <nil> B 0/3 ?3 <nil> C 0/3 ?3 <nil> all 0/9 ?9 <nil>]" ||
				!strings.Contains(fmt.Sprint(c["notes"]), care.NoTermsNote) || c["terms_as_of"] != nil {
				t.Errorf("before any care sweep: %s %v", lines, c["notes"])
			}
			sweepPage(t, gdb, "A", now)
			for _, c := range []struct{ user, query, want string }{
				// A: 10 and 1 days ago of 3 (40 days is out); B: 50 of 50, 70, 90;
				// C: 100 and 5 days of 20k-never, 10k-100d, 7k-5d.
				{admin, "", "[A 2/3 ?0 0.6667 B 1/3 ?0 0.3333 C 2/3 ?0 0.6667 all 5/9 ?0 0.5556]"},
				{mgrMia, "", "[A 1/2 ?0 0.5 B 1/2 ?0 0.5 C 1/2 ?0 0.5 all 3/6 ?0 0.5]"},
				{repBo, "", "[A 1/1 ?0 1 B 0/1 ?0 0 C 1/1 ?0 1 all 2/3 ?0 0.6667]"},
				{mgrMia, "?team=south", "[A 0/0 ?0 <nil> B 0/0 ?0 <nil> C 0/0 ?0 <nil> all 0/0 ?0 <nil>]"},
			} {
				lines, cov := coverage(c.user, c.query)
				if lines != c.want {
					t.Errorf("%s%s: coverage %s; want %s", c.user, c.query, lines, c.want)
				}
				cadence, _ := cov["classes"].([]any)[2].(map[string]any)["cadence"].(map[string]any)
				if cov["terms_as_of"] != now.Format(time.RFC3339) || cadence["duration"] != "120d" || cov["notes"] != nil {
					t.Errorf("%s: terms %v, class C cadence %v, notes %v", c.user, cov["terms_as_of"], cadence, cov["notes"])
				}
			}

			// Bad input is refused; no token is 401.
			long := strings.Repeat("t", 101)
			for _, p := range []string{"/v1/analytics/customers?team=" + long, "/v1/analytics/care-coverage?team=" + long} {
				if r := s.call("GET", p, mgrMia, nil); r.status != http.StatusUnprocessableEntity || r.code(t) != "validation_failed" {
					t.Errorf("%s: %d %s", p[:30], r.status, r.body)
				}
			}
			if r := s.call("GET", "/v1/analytics/customers", "", nil); r.status != http.StatusUnauthorized {
				t.Errorf("no token: %d", r.status)
			}
		})
	}
}
