package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = []struct {
	name string
	dsn  func(testing.TB) string
	conn int
}{
	{"postgres", testenv.Postgres, 4},
	{"sqlite", testenv.SQLite, 1},
}

func each(t *testing.T, fn func(t *testing.T, gdb *gorm.DB)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			gdb, err := db.Open(ctx, db.Config{URL: b.dsn(t), MaxOpenConns: b.conn, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if s, err := gdb.DB(); err == nil {
					s.Close()
				}
			})
			if _, err := migrate.Run(ctx, gdb, "followup", adapters.Migrations, log); err != nil {
				t.Fatal(err)
			}
			fn(t, gdb)
		})
	}
}

func count(t *testing.T, gdb *gorm.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestFollowUpsCreateAndUpdate(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewFollowUps(gdb)
		f, err := domain.Open(domain.Opening{ID: "0190a000-0000-7000-8000-000000000001", Kind: "callback", CustomerID: "c1", OwnerID: "rep-ana",
			Team: "north", OpenedBy: "rep-ana", WorkflowID: "wf", AnchorAt: t0, DueAt: t0.Add(time.Hour)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a retried open stores it once
			if err := r.Create(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM follow_up_events WHERE follow_up_id = ?", f.ID); n != 1 {
			t.Fatalf("%d events after two opens", n)
		}

		// A step, then its retry: stored once.
		step := func(f *domain.FollowUp) error {
			f.RecordStep(domain.Step{Level: 1, Action: "escalate_manager", ScheduledAt: t0.Add(time.Hour)}, t0.Add(2*time.Hour))
			return nil
		}
		for range 2 {
			if err := r.Update(ctx, f.ID, step); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.Get(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != domain.StateEscalated || got.EscalationLevel != 1 || got.EscalatedAt == nil || !got.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("after the step: %+v", got)
		}

		// A refused change stores nothing, and neither does a failing one.
		boom := errors.New("boom")
		if err := r.Update(ctx, f.ID, func(f *domain.FollowUp) error {
			f.Close(domain.Closing{State: domain.StateDone}, t0)
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if err := r.Update(ctx, f.ID, func(f *domain.FollowUp) error { return f.Close(domain.Closing{State: "open"}, t0) }); err == nil {
			t.Fatal("closing as open was accepted")
		}

		// Closed, then closed again: the second changes nothing.
		at := t0.Add(3 * time.Hour)
		for _, by := range []string{"rep-ana", "mgr-mia"} {
			if err := r.Update(ctx, f.ID, func(f *domain.FollowUp) error {
				return f.Close(domain.Closing{State: domain.StateDone, By: by, Note: "called back", At: &at}, at)
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = r.Get(ctx, f.ID)
		if got.State != domain.StateDone || got.ClosedAt == nil || !got.ClosedAt.Equal(at) || *got.ClosedBy != "rep-ana" || got.CloseNote != "called back" || got.NextStepAt != nil {
			t.Errorf("closed: %+v", got)
		}
		evs, err := r.Events(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs {
			actions = append(actions, e.Action)
		}
		if !slices.Equal(actions, []string{"opened", "escalate_manager", "done"}) || evs[1].ScheduledAt == nil || evs[2].Actor != "rep-ana" {
			t.Errorf("history %v %+v", actions, evs)
		}

		// A long note in a multi-byte script is stored whole (it was cut
		// inside a character once, which PostgreSQL refused).
		g, _ := domain.Open(domain.Opening{ID: "0190a000-0000-7000-8000-000000000002", WorkflowID: "wf2", AnchorAt: t0, DueAt: t0.Add(time.Hour)}, t0)
		if err := r.Create(ctx, g); err != nil {
			t.Fatal(err)
		}
		note := strings.Repeat("回电", 1000)
		if err := r.Update(ctx, g.ID, func(f *domain.FollowUp) error {
			return f.Close(domain.Closing{State: domain.StateDone, Note: note}, at)
		}); err != nil {
			t.Fatal(err)
		}
		if evs, err := r.Events(ctx, g.ID); err != nil || len(evs) != 2 || evs[1].Detail != note {
			t.Errorf("the close entry of a CJK note: %v", err)
		}

		var ae *apperr.Error
		if err := r.Update(ctx, "missing", step); !errors.As(err, &ae) || ae.Code != "not_found" || ae.Message != "no follow-up missing" {
			t.Errorf("missing: %v", err)
		}
		if _, err := r.Get(ctx, "missing"); !errors.Is(err, domain.ErrFollowUpNotFound) {
			t.Errorf("get missing: %v", err)
		}
	})
}

func TestPoliciesUpdate(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewPolicies(gdb)
		d, _ := policy.Lookup(policy.CallbackDeadline)
		v1, a1 := domain.SeedPolicy(d, t0)
		for range 2 {
			if err := r.Seed(ctx, v1, a1); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if err := r.Update(ctx, d.Name, func(h *domain.PolicyHistory) error {
			h.Add(d.Default, now.Add(time.Hour), "analyst-ali", "later", nil, now)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := r.Update(ctx, d.Name, func(h *domain.PolicyHistory) error {
			_, err := h.Withdraw(2, "analyst-ali", "no", now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		vs, err := r.Versions(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].WithdrawnAt != nil || vs[1].WithdrawnAt == nil || *vs[1].WithdrawnBy != "analyst-ali" || vs[1].Reason != "later" {
			t.Fatalf("versions %+v", vs)
		}
		audit, err := r.Audit(ctx, domain.AuditPolicy, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 3 || audit[0].Action != "withdrawn" || audit[1].Action != "scheduled" || audit[2].Action != "seeded" || audit[0].Changes == nil {
			t.Errorf("audit %+v", audit)
		}
		// A version number taken meanwhile is a concurrent change, and
		// nothing of the update is stored.
		err = r.Update(ctx, d.Name, func(h *domain.PolicyHistory) error {
			h.Audit = append(h.Audit, domain.AuditEntry{Kind: domain.AuditPolicy, Subject: d.Name, Action: "created"})
			h.Versions = append(h.Versions, h.Versions[0])
			return nil
		})
		if !errors.Is(err, domain.ErrConcurrentChange) {
			t.Fatalf("got %v", err)
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM policy_audit"); n != 3 {
			t.Errorf("%d audit entries", n)
		}
	})
}

func TestCalendarsUpdateStoresTheDifference(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewCalendars(gdb)
		for i := range 2 { // only a database without calendars is seeded
			fresh, err := r.Seed(ctx, domain.PresetSeeds(domain.CountryPlain, t0))
			if err != nil || fresh != (i == 0) {
				t.Fatalf("seed %d: fresh %v, %v", i, fresh, err)
			}
		}
		week := calendar.Weekdays(calendar.Range{Start: calendar.At(8, 0), End: calendar.At(16, 0)})
		put := func(name string, in domain.CalendarInput) error {
			return r.Update(ctx, func(c *domain.Calendars) error {
				_, err := c.Put(name, in, "analyst-ali", t0)
				return err
			})
		}
		if err := put("berlin", domain.CalendarInput{TimeZone: "Europe/Berlin", Week: week, Regions: []string{"north"}, Teams: []string{"de"}, Reason: "office"}); err != nil {
			t.Fatal(err)
		}
		// berlin takes the default and gives up team de.
		if err := put("berlin", domain.CalendarInput{TimeZone: "Europe/Berlin", Week: week, Regions: []string{"north"}, Default: true, Reason: "default"}); err != nil {
			t.Fatal(err)
		}
		as, err := r.Assignments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, a.Scope+":"+a.Value+"="+a.Calendar)
		}
		if !slices.Equal(got, []string{"default:=berlin", "region:north=berlin"}) {
			t.Errorf("assignments %v", got)
		}
		cur, err := r.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur["berlin"].Version != 2 || cur["standard"].Version != 1 || len(cur) != 3 {
			t.Errorf("current %+v", cur)
		}
		if v, err := r.Latest(ctx, "nothing"); err == nil {
			t.Errorf("found %+v", v)
		}
		names, err := r.Names(ctx)
		if err != nil || !names["berlin"] || !names["standard"] || names["nothing"] {
			t.Errorf("names %v %v", names, err)
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM policy_audit WHERE subject = 'berlin'"); n != 2 {
			t.Errorf("%d audit entries for berlin", n)
		}
		// A conflict stores nothing.
		if err := put("paris", domain.CalendarInput{TimeZone: "Europe/Paris", Week: week, Regions: []string{"north"}, Reason: "x"}); err == nil {
			t.Fatal("a region of berlin was given to paris")
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM calendar_versions WHERE name = 'paris'"); n != 0 {
			t.Errorf("paris stored")
		}
	})
}
