package care

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = testenv.Backends

// fakeWorkflows stands in for Temporal: it records starts and signals, and
// says which workflows ended and how.
type fakeWorkflows struct {
	mu       sync.Mutex
	started  []*followupv1.FollowUpSpec
	signals  map[string]*followupv1.CloseSignal
	gone     map[string]bool
	ended    map[string]bool
	outcomes map[string]Outcome
	failOn   string // customer id whose start fails
}

func newFake() *fakeWorkflows {
	return &fakeWorkflows{signals: map[string]*followupv1.CloseSignal{}, gone: map[string]bool{}, ended: map[string]bool{}, outcomes: map[string]Outcome{}}
}

func (f *fakeWorkflows) StartFollowUp(_ context.Context, s *followupv1.FollowUpSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.GetCustomerId() == f.failOn {
		return errors.New("temporal unavailable")
	}
	f.started = append(f.started, s)
	return nil
}

func (f *fakeWorkflows) Signal(_ context.Context, id, name string, payload any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name != wfc.SignalCloseFollowUp {
		return errors.New("unexpected signal " + name)
	}
	if f.gone[id] {
		return ErrWorkflowGone
	}
	f.signals[id] = payload.(*followupv1.CloseSignal)
	return nil
}

func (f *fakeWorkflows) Ended(_ context.Context, ids []string) (map[string]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]bool{}
	for _, id := range ids {
		if f.ended[id] {
			out[id] = true
		}
	}
	return out, nil
}

// withOutcomes adds Outcomes to a fake.
type withOutcomes struct{ *fakeWorkflows }

func (w withOutcomes) Outcome(_ context.Context, id string) (Outcome, bool, error) {
	o, ok := w.outcomes[id]
	return o, ok, nil
}

func openDB(t *testing.T, dsn string, migrations []migrate.Migration) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 10, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", migrations, log); err != nil {
		t.Fatal(err)
	}
	return gdb
}

func addCustomer(t *testing.T, gdb *gorm.DB, id, class, owner string, careFrom time.Time) {
	t.Helper()
	now := time.Now().UTC()
	if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage, value_class,
		created_by, created_at, updated_at, care_from) VALUES (?, ?, ?, 'north', 'steel', ?, 'north', 'transacting', ?, 'test', ?, ?, ?)`,
		id, "Customer "+id, "customer "+id, owner, class, now, now, careFrom.UTC()).Error; err != nil {
		t.Fatal(err)
	}
}

type custCare struct {
	CareFrom, LastContactAt *time.Time
	CareEpoch               int64
}

func careOf(t *testing.T, gdb *gorm.DB, id string) custCare {
	t.Helper()
	var c custCare
	if err := gdb.Table("customers").Select("care_from, last_contact_at, care_epoch").Where("id = ?", id).Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

func rowOf(t *testing.T, gdb *gorm.DB, id string) FollowUp {
	t.Helper()
	var r FollowUp
	if err := gdb.Where("id = ?", id).Take(&r).Error; err != nil {
		t.Fatalf("care follow-up %s: %v", id, err)
	}
	return r
}

func defaultTerms() *followupv1.CareTerms {
	def, _ := policy.Lookup(policy.CareCadence)
	return &followupv1.CareTerms{Cadence: &followupv1.ResolvedPolicy{Name: policy.CareCadence, Version: 1, ValueJson: def.Default.MustJSON()}}
}

// TestCareFollowUps runs the care use cases on each database with Temporal
// faked: the open pass records what it starts and asks for the close notice;
// a notice closes the record and applies its effect once; the reconciliation
// closes stale follow-ups (signalling them, or not when gone) and the records
// of workflows that ended without a notice.
func TestCareFollowUps(t *testing.T) {
	day := 24 * time.Hour
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := openDB(t, b.DSN(t), schema.Migrations)
			wf := newFake()
			s := New(gdb, wf)
			now := time.Now().UTC().Truncate(time.Second)
			s.now = func() time.Time { return now }

			addCustomer(t, gdb, "due-a", "A", "rep-ana", now.Add(-31*day))
			addCustomer(t, gdb, "due-b", "B", "rep-ana", now.Add(-61*day))
			addCustomer(t, gdb, "fresh-a", "A", "rep-ana", now.Add(-10*day))
			open := func(class string, terms *followupv1.CareTerms) (*followupv1.CareOpenPageResult, error) {
				return s.OpenPage(ctx, &followupv1.CareOpenPageInput{ValueClass: class, At: timestamppb.New(now), Lookahead: durationpb.New(time.Hour), Terms: terms})
			}

			// A sweep of the previous release passes no terms: refused.
			if _, err := open("A", nil); !errors.Is(err, ErrNoTerms) {
				t.Fatalf("a page without terms: %v; want ErrNoTerms", err)
			}
			res, err := open("A", defaultTerms())
			if err != nil || res.GetOpened() != 1 || res.GetScanned() != 1 {
				t.Fatalf("open A: %v %v", res, err)
			}
			idA := FollowUpID("due-a", now.Add(-31*day), 0)
			if len(wf.started) != 1 || wf.started[0].GetId() != idA || wf.started[0].GetNotify().GetActivity() == "" {
				t.Fatalf("started %v; want the due A customer's follow-up with a close notice", wf.started)
			}
			if r := rowOf(t, gdb, idA); r.State != StateOpen || r.ClosedAt != nil || r.WorkflowID != wfc.FollowUpWorkflowID(idA) || r.PolicyKey != "A" {
				t.Fatalf("recorded %+v", r)
			}
			if res, _ := open("A", defaultTerms()); res.GetScanned() != 0 {
				t.Fatalf("the customer with an open care follow-up was read again: %v", res)
			}

			// A start that fails records nothing; the next page starts and records it.
			wf.failOn = "due-b"
			if _, err := open("B", defaultTerms()); err == nil {
				t.Fatal("a failed start was not reported")
			}
			if n := count(t, gdb, "SELECT COUNT(*) FROM care_followups WHERE customer_id = 'due-b'"); n != 0 {
				t.Fatalf("a follow-up whose start failed was recorded (%d)", n)
			}
			wf.failOn = ""
			if res, err := open("B", defaultTerms()); err != nil || res.GetOpened() != 1 {
				t.Fatalf("open B again: %v %v", res, err)
			}
			idB := FollowUpID("due-b", now.Add(-61*day), 0)

			// The close notice: done by the owner, applied once.
			doneAt := now.Add(time.Minute)
			notice := &followupv1.FollowUpClosed{Id: idA, Kind: policy.KindCareContact, CustomerId: "due-a", OwnerId: "rep-ana", PolicyKey: "A",
				AnchorAt: timestamppb.New(now.Add(-31 * day)), State: StateDone, By: "rep-ana", Note: "called", At: timestamppb.New(doneAt)}
			for range 2 {
				if err := s.Closed(ctx, notice); err != nil {
					t.Fatal(err)
				}
			}
			if c := careOf(t, gdb, "due-a"); !c.CareFrom.Equal(doneAt) || c.LastContactAt == nil || !c.LastContactAt.Equal(doneAt) || c.CareEpoch != 0 {
				t.Fatalf("after the done notice: %+v; want anchor and last contact at the close", c)
			}
			if r := rowOf(t, gdb, idA); r.State != StateDone || r.ClosedBy != "rep-ana" || r.ClosedAt == nil || !r.ClosedAt.Equal(doneAt) {
				t.Fatalf("the closed record %+v", r)
			}
			// A cancel notice repeated bumps the epoch once.
			cancel := &followupv1.FollowUpClosed{Id: idB, Kind: policy.KindCareContact, CustomerId: "due-b", OwnerId: "rep-ana", PolicyKey: "B",
				AnchorAt: timestamppb.New(now.Add(-61 * day)), State: StateCancelled, By: "mgr-mia", At: timestamppb.New(doneAt)}
			for range 3 {
				if err := s.Closed(ctx, cancel); err != nil {
					t.Fatal(err)
				}
			}
			if c := careOf(t, gdb, "due-b"); c.CareEpoch != 1 || !c.CareFrom.Equal(doneAt) {
				t.Fatalf("after a manager's cancel, three times: %+v; want epoch 1 and the round waived", c)
			}
			// A notice for a care follow-up never recorded is recorded closed
			// and applied; another kind is ignored.
			addCustomer(t, gdb, "old", "C", "rep-bo", now.Add(-200*day))
			old := &followupv1.FollowUpClosed{Id: "old-fu", Kind: policy.KindCareContact, CustomerId: "old", OwnerId: "rep-bo", PolicyKey: "C",
				AnchorAt: timestamppb.New(now.Add(-200 * day)), State: StateCancelled, By: "workflow", At: timestamppb.New(doneAt)}
			if err := s.Closed(ctx, old); err != nil {
				t.Fatal(err)
			}
			if r := rowOf(t, gdb, "old-fu"); r.State != StateCancelled || careOf(t, gdb, "old").CareEpoch != 1 {
				t.Fatalf("an unrecorded follow-up's notice: %+v, %+v", r, careOf(t, gdb, "old"))
			}
			if err := s.Closed(ctx, &followupv1.FollowUpClosed{Id: "lead-fu", Kind: "first_contact", CustomerId: "old", State: StateDone}); err != nil {
				t.Fatal(err)
			}
			if n := count(t, gdb, "SELECT COUNT(*) FROM care_followups WHERE id = 'lead-fu'"); n != 0 {
				t.Fatal("a notice of another kind was recorded")
			}
			if err := s.Closed(ctx, &followupv1.FollowUpClosed{Id: "x", Kind: policy.KindCareContact, CustomerId: "old", AnchorAt: timestamppb.New(now), State: "open"}); err == nil {
				t.Fatal("a notice of a follow-up still open was accepted")
			}

			// Reconcile: a class change cancels (signalled), a gone workflow
			// is closed all the same, an ended one without a notice too.
			addCustomer(t, gdb, "reclassed", "A", "rep-ana", now.Add(-40*day))
			addCustomer(t, gdb, "vanished", "A", "rep-ana", now.Add(-40*day))
			addCustomer(t, gdb, "ended", "A", "rep-ana", now.Add(-40*day))
			addCustomer(t, gdb, "ended-done", "A", "rep-ana", now.Add(-40*day))
			addCustomer(t, gdb, "fine", "A", "rep-ana", now.Add(-40*day))
			if res, err := open("A", defaultTerms()); err != nil || res.GetOpened() != 5 {
				t.Fatalf("open the five: %v %v", res, err)
			}
			id := func(c string) string { return FollowUpID(c, now.Add(-40*day), 0) }
			gdb.Exec("UPDATE customers SET value_class = 'B' WHERE id = 'reclassed'")
			gdb.Exec("UPDATE customers SET deleted_at = ? WHERE id = 'vanished'", now)
			wf.gone[wfc.FollowUpWorkflowID(id("vanished"))] = true
			wf.ended[wfc.FollowUpWorkflowID(id("ended"))] = true
			wf.ended[wfc.FollowUpWorkflowID(id("ended-done"))] = true
			wf.outcomes[wfc.FollowUpWorkflowID(id("ended-done"))] = Outcome{State: StateDone, By: "rep-ana", At: doneAt}
			s.wf = withOutcomes{wf}
			delete(wf.outcomes, wfc.FollowUpWorkflowID(id("ended")))
			rec, err := s.ReconcilePage(ctx, &followupv1.CareReconcilePageInput{Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			total := rec
			for rec.GetNextAfterId() != "" {
				if rec, err = s.ReconcilePage(ctx, &followupv1.CareReconcilePageInput{AfterId: rec.GetNextAfterId(), Limit: 3}); err != nil {
					t.Fatal(err)
				}
				total.Checked += rec.GetChecked()
				total.Cancelled += rec.GetCancelled()
				total.Completed += rec.GetCompleted()
			}
			if total.GetChecked() != 5 || total.GetCancelled() != 3 || total.GetCompleted() != 1 {
				t.Fatalf("reconciled %v; want 5 checked, 3 cancelled (class, deleted, ended), 1 completed (ended done)", total)
			}
			if sig := wf.signals[wfc.FollowUpWorkflowID(id("reclassed"))]; sig.GetState() != StateCancelled || sig.GetBy() != Actor {
				t.Fatalf("the reclassified customer's workflow was told %v", sig)
			}
			for c, want := range map[string]string{"reclassed": StateCancelled, "vanished": StateCancelled, "ended": StateCancelled, "ended-done": StateDone, "fine": StateOpen} {
				if r := rowOf(t, gdb, id(c)); r.State != want {
					t.Errorf("%s: %+v; want %s", c, r, want)
				}
			}
			if c := careOf(t, gdb, "ended-done"); !c.CareFrom.Equal(doneAt) || c.CareEpoch != 0 {
				t.Errorf("an ended follow-up done by its owner: %+v; want the cadence restarted at its close", c)
			}
			if c := careOf(t, gdb, "ended"); c.CareEpoch != 1 {
				t.Errorf("an ended follow-up that said nothing: %+v; want the epoch bumped", c)
			}

			// A contact answers the open one, closed done by its author.
			contact := now.Add(2 * time.Minute)
			if err := gdb.Transaction(func(tx *gorm.DB) error { return Touch(tx, []string{"fine"}, contact) }); err != nil {
				t.Fatal(err)
			}
			answered, err := s.CloseAnswered(ctx, []string{"fine", "fresh-a"}, "eng-eve")
			if err != nil || len(answered) != 1 || answered[0].ID != id("fine") || answered[0].Kind != policy.KindCareContact || answered[0].OwnerID != "rep-ana" {
				t.Fatalf("answered %+v %v", answered, err)
			}
			if r := rowOf(t, gdb, id("fine")); r.State != StateDone || r.ClosedBy != "eng-eve" {
				t.Fatalf("the answered follow-up %+v", r)
			}
			if c := careOf(t, gdb, "fine"); !c.CareFrom.Equal(contact) || !c.LastContactAt.Equal(contact) {
				t.Fatalf("the answered customer %+v; want the contact's instant kept", c)
			}
			if sig := wf.signals[wfc.FollowUpWorkflowID(id("fine"))]; sig.GetState() != StateDone || sig.GetBy() != "eng-eve" {
				t.Fatalf("the answered follow-up's workflow was told %v", sig)
			}
		})
	}
}

func count(t *testing.T, gdb *gorm.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(q).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrationFillsOpenCareFollowUps upgrades a database that holds the
// engine's follow_ups: its open care follow-ups are recorded open, under the
// customer's epoch; closed ones and other kinds are not.
func TestMigrationFillsOpenCareFollowUps(t *testing.T) {
	var before []migrate.Migration
	for _, m := range schema.Migrations {
		if m.Version < 11 {
			before = append(before, m)
		}
	}
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			gdb := openDB(t, dsn, before)
			now := time.Now().UTC().Truncate(time.Second)
			addCustomer(t, gdb, "c1", "A", "rep-ana", now.Add(-40*24*time.Hour))
			gdb.Exec("UPDATE customers SET care_epoch = 4 WHERE id = 'c1'")
			fu := func(id, kind string, closed bool) {
				var closedAt *time.Time
				if closed {
					closedAt = &now
				}
				if err := gdb.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, state, anchor_at, due_at, policy_key,
					workflow_id, opened_by, created_at, updated_at, closed_at) VALUES (?, ?, 'c1', 'rep-ana', 'north', 'north', 'open', ?, ?, 'A', ?, 'system:care', ?, ?, ?)`,
					id, kind, now.Add(-40*24*time.Hour), now.Add(-10*24*time.Hour), "followup:"+id, now, now, closedAt).Error; err != nil {
					t.Fatal(err)
				}
			}
			fu("open-care", policy.KindCareContact, false)
			fu("closed-care", policy.KindCareContact, true)
			fu("open-lead", "first_contact", false)
			gdb = openDB(t, dsn, schema.Migrations)
			var rows []FollowUp
			if err := gdb.Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].ID != "open-care" || rows[0].State != StateOpen || rows[0].Epoch != 4 || rows[0].WorkflowID != "followup:open-care" ||
				rows[0].PolicyKey != "A" || !rows[0].AnchorAt.Equal(now.Add(-40*24*time.Hour)) {
				t.Fatalf("care_followups after the upgrade: %+v", rows)
			}
		})
	}
}

// TestOpenPageBusinessTime computes each candidate's exact due time in the
// business calendar the terms assign: Friday 10:00 + 8 working hours is due
// Monday 10:00, Friday 16:00 + 8 is due Monday 16:00, beyond the lookahead.
func TestOpenPageBusinessTime(t *testing.T) {
	ctx := context.Background()
	gdb := openDB(t, testenv.SQLite(t), schema.Migrations)
	wf := newFake()
	s := New(gdb, wf)
	monday := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	addCustomer(t, gdb, "fri-10", "A", "rep-ana", monday.Add(-72*time.Hour))
	addCustomer(t, gdb, "fri-16", "A", "rep-ana", monday.Add(-66*time.Hour))
	eight := policy.Timer{Duration: policy.Duration(8 * time.Hour), Clock: policy.ClockBusiness}
	cadence := policy.Value{Table: map[string]policy.Timer{"A": eight, "B": eight, "C": eight}}
	week := `{"monday":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"18:00"}],"tuesday":[{"start":"09:00","end":"18:00"}],` +
		`"wednesday":[{"start":"09:00","end":"18:00"}],"thursday":[{"start":"09:00","end":"18:00"}],"friday":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"18:00"}]}`
	terms := &followupv1.CareTerms{
		Cadence:     &followupv1.ResolvedPolicy{Name: policy.CareCadence, Version: 2, ValueJson: cadence.MustJSON()},
		Calendars:   []*followupv1.ResolvedCalendar{{Name: "standard", Version: 1, SpecJson: []byte(`{"name":"standard","time_zone":"UTC","week":` + week + `}`)}},
		Assignments: []*followupv1.CalendarAssignment{{Scope: policy.ScopeDefault, Calendar: "standard"}},
	}
	in := &followupv1.CareOpenPageInput{ValueClass: "A", At: timestamppb.New(monday), Lookahead: durationpb.New(time.Hour), Terms: terms}
	res, err := s.OpenPage(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetScanned() != 2 || res.GetOpened() != 1 || res.GetNotYetDue() != 1 || len(wf.started) != 1 || wf.started[0].GetCustomerId() != "fri-10" {
		t.Fatalf("opened %v, started %v; want Friday 10:00 due and Friday 16:00 not yet", res, wf.started)
	}
	// Terms whose calendars lack the assigned one are refused, not retried.
	in.Terms = &followupv1.CareTerms{Cadence: terms.GetCadence(), Assignments: terms.GetAssignments()}
	if _, err := s.OpenPage(ctx, in); err == nil || !strings.Contains(err.Error(), "standard") {
		t.Fatalf("terms without the assigned calendar: %v", err)
	}
}
