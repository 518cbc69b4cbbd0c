package adapters_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	actadapters "github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/domain"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = testenv.Backends

const (
	cust1 = "0190a000-0000-7000-8000-0000000000c1"
	case1 = "0190a000-0000-7000-8000-0000000000a1"
	lead1 = "0190a000-0000-7000-8000-0000000000b1"
)

func openDB(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 10, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
		t.Fatal(err)
	}
	return gdb
}

// TestCaseItemsOnTheTimeline runs on each database: a service case's
// changes, recorded on the customer's history by the case's workflow, are
// action entries of the timeline carrying their case — case_id, case_event
// and case_team (omitted when the case has no team) — on the first page and
// on the page after a cursor alike, while a person's action between them
// carries none of the three and keeps its links.
func TestCaseItemsOnTheTimeline(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := openDB(t, b.DSN(t))
			actions := actadapters.NewStore(gdb)
			now := time.Now().UTC().Truncate(time.Second)

			event := func(key, ev, team string, at time.Time) actdomain.Action {
				a, err := actdomain.NewCaseEvent(actdomain.CaseEvent{Key: key, CustomerID: cust1, CaseID: case1, Event: ev, Actor: "agent-li",
					Team: team, Subject: "Crane hydraulics leak", Summary: ev + " by phone", At: at}, now)
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := actions.CreateOnce(ctx, a); err != nil || !ok {
					t.Fatalf("record %s: %v %v", ev, ok, err)
				}
				return a
			}
			filed := event("case-entry-1", "filed", "service-north", now.Add(-3*time.Hour))
			done := now.Add(-2 * time.Hour)
			call := actdomain.Action{ID: actadapters.NewID(), Kind: actdomain.KindLog, Status: actdomain.StatusDone, Category: "phone_call",
				Department: "sales", ActorID: "rep-ana", Title: "Offer follow-up", Summary: "interested", DoneAt: &done, OccurredAt: done,
				CreatedAt: now, UpdatedAt: now, Links: []actdomain.Link{
					{SubjectType: actdomain.SubjectCustomer, SubjectID: cust1, CustomerID: cust1},
					{SubjectType: actdomain.SubjectLead, SubjectID: lead1, CustomerID: cust1}}}
			if err := actions.Create(ctx, call, false); err != nil {
				t.Fatal(err)
			}
			resolved := event("case-entry-2", "resolved", "", now.Add(-time.Hour))

			s := adapters.New(gdb, nil)
			first, err := s.Actions(ctx, cust1, nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			last := first[len(first)-1]
			bound := domain.Cursor{At: last.At, Source: last.Source, ID: last.ID}.BoundIn(domain.SourceAction)
			rest, err := s.Actions(ctx, cust1, &bound, 2)
			if err != nil {
				t.Fatal(err)
			}
			got := append(first, rest...)
			if len(got) != 3 || got[0].ID != resolved.ID || got[1].ID != call.ID || got[2].ID != filed.ID {
				t.Fatalf("the timeline's actions: %+v", got)
			}

			for _, tc := range []struct {
				e                     domain.Entry
				caseID, event, team   string
				leads                 int
				json, notJSON         []string
				category, kind, title string
			}{
				{e: got[0], caseID: case1, event: "resolved", category: actdomain.CategoryServiceCase, kind: actdomain.KindLog,
					title: "Case resolved: Crane hydraulics leak", json: []string{`"case_id":"` + case1 + `"`, `"case_event":"resolved"`},
					notJSON: []string{`"case_team"`}},
				{e: got[1], leads: 1, category: "phone_call", kind: actdomain.KindLog, title: "Offer follow-up",
					notJSON: []string{`"case_id"`, `"case_event"`, `"case_team"`}},
				{e: got[2], caseID: case1, event: "filed", team: "service-north", category: actdomain.CategoryServiceCase, kind: actdomain.KindLog,
					title: "Case filed: Crane hydraulics leak",
					json:  []string{`"case_id":"` + case1 + `"`, `"case_event":"filed"`, `"case_team":"service-north"`}},
			} {
				a := tc.e.Action
				if tc.e.Source != domain.SourceAction || a == nil || tc.e.Kind != tc.kind || a.Category != tc.category || a.Title != tc.title ||
					a.CaseID != tc.caseID || a.CaseEvent != tc.event || a.CaseTeam != tc.team || len(a.LeadIDs) != tc.leads ||
					len(a.CustomerIDs) != 1 || a.CustomerIDs[0] != cust1 {
					t.Errorf("entry %s: %+v %+v", tc.e.ID, tc.e, a)
					continue
				}
				raw, err := json.Marshal(tc.e)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range tc.json {
					if !strings.Contains(string(raw), want) {
						t.Errorf("entry %s lacks %s: %s", tc.e.ID, want, raw)
					}
				}
				for _, not := range tc.notJSON {
					if strings.Contains(string(raw), not) {
						t.Errorf("entry %s has %s: %s", tc.e.ID, not, raw)
					}
				}
			}
		})
	}
}

// TestSlipItemsOnTheTimeline runs on each database: an information routing
// slip's changes are action entries of the timeline carrying their slip —
// slip_id and slip_event — in the department of whoever made the change
// (omitted when unknown), while a service case's item beside them carries
// its case and no slip.
func TestSlipItemsOnTheTimeline(t *testing.T) {
	const slip1 = "0190a000-0000-7000-8000-0000000000b7"
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := openDB(t, b.DSN(t))
			actions := actadapters.NewStore(gdb)
			now := time.Now().UTC().Truncate(time.Second)
			store := func(a actdomain.Action, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := actions.CreateOnce(ctx, a); err != nil || !ok {
					t.Fatalf("record %s: %v %v", a.Title, ok, err)
				}
			}
			slip := func(key, ev, dept string, at time.Time) (actdomain.Action, error) {
				return actdomain.NewSlipEvent(actdomain.SlipEvent{Key: key, CustomerID: cust1, SlipID: slip1, Event: ev, Actor: "rep-ana",
					Department: dept, Subject: "Competitor offer", Summary: ev, At: at}, now)
			}
			store(slip("slip-entry-1", "sent", "sales", now.Add(-3*time.Hour)))
			store(actdomain.NewCaseEvent(actdomain.CaseEvent{Key: "case-entry-1", CustomerID: cust1, CaseID: case1, Event: "filed",
				Actor: "agent-li", Subject: "Leak", At: now.Add(-2 * time.Hour)}, now))
			store(slip("slip-entry-2", "closed", "", now.Add(-time.Hour)))

			got, err := adapters.New(gdb, nil).Actions(ctx, cust1, nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("the timeline's actions: %+v", got)
			}
			for i, want := range []struct {
				dept, category, slipEvent, caseID string
				json, notJSON                     []string
			}{
				{category: actdomain.CategoryInfoSlip, slipEvent: "closed",
					json: []string{`"slip_id":"` + slip1 + `"`, `"slip_event":"closed"`}, notJSON: []string{`"department"`, `"case_id"`}},
				{dept: "service", category: actdomain.CategoryServiceCase, caseID: case1,
					json: []string{`"case_id":"` + case1 + `"`}, notJSON: []string{`"slip_id"`, `"slip_event"`}},
				{dept: "sales", category: actdomain.CategoryInfoSlip, slipEvent: "sent",
					json: []string{`"department":"sales"`, `"slip_id":"` + slip1 + `"`, `"slip_event":"sent"`}, notJSON: []string{`"case_id"`}},
			} {
				e, a := got[i], got[i].Action
				slipID := ""
				if want.slipEvent != "" {
					slipID = slip1
				}
				if e.Department != want.dept || a.Category != want.category || a.SlipID != slipID || a.SlipEvent != want.slipEvent ||
					a.CaseID != want.caseID || len(a.CustomerIDs) != 1 {
					t.Errorf("entry %d: %+v %+v", i, e, a)
				}
				raw, _ := json.Marshal(e)
				for _, s := range want.json {
					if !strings.Contains(string(raw), s) {
						t.Errorf("entry %d lacks %s: %s", i, s, raw)
					}
				}
				for _, s := range want.notJSON {
					if strings.Contains(string(raw), s) {
						t.Errorf("entry %d has %s: %s", i, s, raw)
					}
				}
			}
		})
	}
}
