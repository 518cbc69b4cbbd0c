package customer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/workflows/policy"
)

// TestCustomerPage reads, on each database, what the console's customer
// page reads from the customer service: the customer with its owner's name
// and care status (unknown before a care sweep; cadence, due instant and the
// open care follow-up after one), the stage history a page at a time, and
// the timeline — actions of several departments, visits and stage changes
// in one list, newest first, read a page at a time without gaps or repeats,
// filtered by source. Another team's rep gets 404; a bad source or cursor is
// 400 and the customer's data is unchanged.
func TestCustomerPage(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			gdb := s.app.Deps().DB
			day := 24 * time.Hour
			now := time.Now().UTC().Truncate(time.Second)
			id := s.create(mgrMia, company(map[string]any{"lifecycle_stage": "transacting", "owner_id": repAna}))

			get := func() map[string]any {
				t.Helper()
				r := s.call("GET", "/v1/customers/"+id, repAna, nil)
				if r.status != 200 {
					t.Fatalf("get: %d %s", r.status, r.body)
				}
				return r.json(t)
			}
			c := get()
			if c["owner_name"] != "Ana (rep, north)" {
				t.Errorf("owner_name %v", c["owner_name"])
			}
			careOf := func(c map[string]any) map[string]any { m, _ := c["care"].(map[string]any); return m }
			if cs := careOf(c); cs["in_care"] != false || !strings.Contains(fmt.Sprint(cs["not_in_care_reason"]), "no value class") {
				t.Errorf("a customer without a class: care %v", cs)
			}
			anchor := now.Add(-40 * day)
			setCareTB(t, gdb, id, "A", anchor)
			if cs := careOf(get()); cs["in_care"] != true || cs["due_at"] != nil || cs["note"] != care.NoTermsNote {
				t.Errorf("before any care sweep: care %v", cs)
			}
			sweepPage(t, gdb, "A", now)
			cs := careOf(get())
			cadence, _ := cs["cadence"].(map[string]any)
			if cs["in_care"] != true || cs["due_at"] != anchor.Add(30*day).Format(time.RFC3339) || cs["overdue"] != true ||
				cadence["duration"] != "30d" || cadence["clock"] != "calendar" || cadence["value_class"] != "A" || cs["terms_as_of"] != now.Format(time.RFC3339) {
				t.Errorf("after a care sweep: care %v", cs)
			}
			if fu, _ := cs["open_follow_up"].(map[string]any); fu["id"] != care.FollowUpID(id, anchor, 0) || fu["owner_id"] != repAna {
				t.Errorf("the open care follow-up: %v", cs["open_follow_up"])
			}

			// History: two stage changes after the creation.
			if r := s.call("POST", "/v1/customers/"+id+"/lifecycle", mgrMia, map[string]any{"to": "service", "reason": "after-sales"}); r.status != 200 {
				t.Fatalf("lifecycle: %d %s", r.status, r.body)
			}
			if r := s.call("PATCH", "/v1/customers/"+id, repAna, map[string]any{"relationship_stage": "stability", "reason": "yearly contract"}); r.status != 200 {
				t.Fatalf("relationship: %d %s", r.status, r.body)
			}
			var stages []string
			for cursor, pages := "", 0; ; pages++ {
				p := s.call("GET", "/v1/customers/"+id+"/stage-history?limit=1&cursor="+cursor, repAna, nil)
				if p.status != 200 || pages > 5 {
					t.Fatalf("stage history page %d: %d %s", pages, p.status, p.body)
				}
				for _, it := range p.json(t)["items"].([]any) {
					e := it.(map[string]any)
					stages = append(stages, fmt.Sprint(e["kind"], ":", e["from"], "→", e["to"]))
				}
				next, _ := p.json(t)["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if want := "[lifecycle:→transacting lifecycle:transacting→service relationship:→stability]"; fmt.Sprint(stages) != want {
				t.Errorf("stage history %v; want %s", stages, want)
			}

			// Actions of three departments, one planned ahead, and visits.
			for i, a := range []struct {
				kind, category, department, by string
				at                             time.Time
			}{
				{"log", "phone_call", "sales", repAna, now.Add(-3 * day)},
				{"log", "visit_reception", "service", mgrMia, now.Add(-2 * day)},
				{"log", "materials_submission", "marketing", mgrMia, now.Add(-day)},
				{"plan", "phone_call", "sales", repAna, now.Add(2 * day)},
			} {
				body := map[string]any{"kind": a.kind, "category": a.category, "department": a.department, "title": fmt.Sprintf("action %d", i),
					"customer_ids": []string{id}}
				if a.kind == "log" {
					body["done_at"], body["summary"] = a.at.Format(time.RFC3339), "talked"
				} else {
					body["planned_for"] = a.at.Format(time.RFC3339)
				}
				if r := s.call("POST", "/v1/actions", a.by, body); r.status != http.StatusCreated {
					t.Fatalf("action %d: %d %s", i, r.status, r.body)
				}
			}
			seedVisits(t, gdb, id, now.Add(-10*day), 3, repAna)

			type entry struct{ source, id, at string }
			read := func(query string, limit int) []entry {
				t.Helper()
				var out []entry
				for cursor, pages := "", 0; ; pages++ {
					r := s.call("GET", fmt.Sprintf("/v1/customers/%s/timeline?limit=%d%s&cursor=%s", id, limit, query, url.QueryEscape(cursor)), repAna, nil)
					if r.status != 200 || pages > 50 {
						t.Fatalf("timeline page %d: %d %s", pages, r.status, r.body)
					}
					for _, it := range r.json(t)["items"].([]any) {
						e := it.(map[string]any)
						if e[e["source"].(string)] == nil {
							t.Errorf("an entry without its details: %v", e)
						}
						out = append(out, entry{e["source"].(string), e["id"].(string), e["at"].(string)})
					}
					next, _ := r.json(t)["next_cursor"].(string)
					if next == "" {
						return out
					}
					cursor = next
				}
			}
			all := read("", 200)
			count := map[string]int{}
			for i, e := range all {
				count[e.source]++
				// Instants compare as times: RFC 3339 drops trailing zeros,
				// so "…04.25Z" is earlier than "…04.252807Z" but sorts later as text.
				if i > 0 && instant(t, e.at).After(instant(t, all[i-1].at)) {
					t.Errorf("not newest first at %d: %v after %v", i, e, all[i-1])
				}
			}
			if count["action"] != 4 || count["visit"] != 3 || count["stage"] != 3 || all[0].source != "action" {
				t.Fatalf("timeline %v; want 4 actions (the plan first), 3 visits, 3 stage changes", all)
			}
			for _, limit := range []int{1, 3, 4} {
				if got := read("", limit); fmt.Sprint(got) != fmt.Sprint(all) {
					t.Errorf("pages of %d read %v; one page %v", limit, got, all)
				}
			}
			if got := read("&source=visit&source=stage", 2); len(got) != 6 || got[0].source == "action" {
				t.Errorf("visits and stage changes only: %v", got)
			}

			// Outside the scope: 404; bad input: 400, nothing changed.
			if r := s.call("GET", "/v1/customers/"+id+"/timeline", repBo, nil); r.status != http.StatusNotFound {
				t.Errorf("another team's rep reads the timeline: %d", r.status)
			}
			if r := s.call("GET", "/v1/customers/"+uuid.NewString()+"/timeline", mgrMia, nil); r.status != http.StatusNotFound {
				t.Errorf("an unknown customer's timeline: %d", r.status)
			}
			for _, q := range []string{"?source=email", "?cursor=garbage", "?limit=0", "?limit=201"} {
				if r := s.call("GET", "/v1/customers/"+id+"/timeline"+q, repAna, nil); r.status != http.StatusBadRequest {
					t.Errorf("%s: %d %s", q, r.status, r.body)
				}
			}
			if r := s.call("GET", "/v1/customers/"+id+"/stage-history?cursor=nope", repAna, nil); r.status != http.StatusBadRequest || r.code(t) != "invalid_cursor" {
				t.Errorf("stage history with a bad cursor: %d %s", r.status, r.body)
			}
			if got := read("", 200); fmt.Sprint(got) != fmt.Sprint(all) {
				t.Errorf("the timeline changed: %v", got)
			}
		})
	}
}

// setCareTB gives a customer a value class and care anchor, as a
// reclassification and a logged contact would.
func setCareTB(t testing.TB, gdb *gorm.DB, id, class string, anchor time.Time) {
	t.Helper()
	if err := gdb.Exec("UPDATE customers SET value_class = ?, care_from = ? WHERE id = ?", class, anchor.UTC(), id).Error; err != nil {
		t.Fatal(err)
	}
}

// recordingWorkflows stands in for Temporal in a care sweep's page: it
// starts nothing.
type recordingWorkflows struct{ started int }

func (w *recordingWorkflows) StartFollowUp(context.Context, *followupv1.FollowUpSpec) error {
	w.started++
	return nil
}
func (w *recordingWorkflows) Signal(context.Context, string, string, any) error { return nil }
func (w *recordingWorkflows) Ended(context.Context, []string) (map[string]bool, error) {
	return map[string]bool{}, nil
}

// sweepPage runs one page of a care sweep for a class at `at` under the
// default care terms, as the CareSweep workflow does through the activity:
// the customer service keeps the terms, and opens (here: records) the care
// follow-ups due.
func sweepPage(t testing.TB, gdb *gorm.DB, class string, at time.Time) {
	carePage(t, gdb, class, at, 5000)
}

// carePage runs a care sweep's page of at most limit customers.
func carePage(t testing.TB, gdb *gorm.DB, class string, at time.Time, limit int32) {
	t.Helper()
	def, _ := policy.Lookup(policy.CareCadence)
	terms := &followupv1.CareTerms{Cadence: &followupv1.ResolvedPolicy{Name: policy.CareCadence, Version: 1, ValueJson: def.Default.MustJSON()}}
	if _, err := care.New(gdb, &recordingWorkflows{}).OpenPage(context.Background(), &followupv1.CareOpenPageInput{
		ValueClass: class, At: timestamppb.New(at), Lookahead: durationpb.New(time.Hour), Limit: limit, Terms: terms}); err != nil {
		t.Fatal(err)
	}
}

// seedVisits stores n logged visits of a customer, a day apart from first,
// as the visit workflow's activities store them (a visit needs Temporal to
// be booked through the API).
func seedVisits(t testing.TB, gdb *gorm.DB, customerID string, first time.Time, n int, by string) {
	t.Helper()
	err := gdb.Transaction(func(tx *gorm.DB) error {
		for i := range n {
			start := first.Add(time.Duration(i) * 24 * time.Hour).UTC()
			id := uuid.Must(uuid.NewV7()).String()
			day := start.Format("2006-01-02")
			if err := tx.Exec(`INSERT INTO visits (id, workflow_id, customer_id, day, start_at, end_at, status, booked_by, team, department, purpose,
				log_summary, logged_by, logged_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'done', ?, 'north', 'sales', 'quarterly review', 'went well', ?, ?, ?, ?)`,
				id, "Visit:"+customerID+":"+day, customerID, day, start, start.Add(time.Hour), by, by, start.Add(time.Hour), start, start).Error; err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO visit_participants (visit_id, request_id, user_id, department, purpose, role, joined_at) VALUES (?, ?, ?, 'sales', 'quarterly review', 'booker', ?)`,
				id, "req-"+id, by, start).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// instant parses an RFC 3339 instant from an API answer.
func instant(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("instant %q: %v", s, err)
	}
	return at
}
