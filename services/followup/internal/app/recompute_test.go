package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// signals is a fake app.Workflows that keeps every signal sent.
type signals struct {
	mu   sync.Mutex
	sent map[string][]*followupv1.PolicyChangedSignal
}

func (s *signals) StartFollowUp(context.Context, *followupv1.FollowUpSpec) error { return nil }
func (s *signals) Ended(context.Context, []string) (map[string]bool, error)      { return nil, nil }
func (s *signals) Settled(context.Context, string) (bool, error)                 { return true, nil }
func (s *signals) Signal(_ context.Context, wid, _ string, payload any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent[wid] = append(s.sent[wid], payload.(*followupv1.PolicyChangedSignal))
	return nil
}

// rolloutFixture is a follow-up database with the policies seeded, where
// first-contact follow-ups anchored an hour ago are opened (due four hours
// after) and a 2 h SLA is put in force as version 2.
type rolloutFixture struct {
	gdb    *gorm.DB
	pol    *app.Policies
	fus    *store.FollowUps
	anchor time.Time
}

func newRolloutFixture(t *testing.T) *rolloutFixture {
	t.Helper()
	gdb := freshDB(t)
	pol := newPolicies(gdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := pol.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &rolloutFixture{gdb: gdb, pol: pol, fus: store.NewFollowUps(gdb), anchor: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)}
}

// open opens follow-up id, its workflow "wf-"+id, its ladder stored at
// ladderVersion.
func (r *rolloutFixture) open(t *testing.T, id string, ladderVersion int64) {
	t.Helper()
	f, err := domain.Open(domain.Opening{ID: id, Kind: policy.KindFirstContact, CustomerID: "c-1", OwnerID: "rep-ana", Team: "north", Territory: "north",
		Title: "call", AnchorAt: r.anchor, DueAt: r.anchor.Add(4 * time.Hour), Policy: policy.LeadFirstContactSLA, PolicyVersion: 1,
		EscalationPolicy: policy.LeadEscalation, EscalationPolicyVersion: ladderVersion, WorkflowID: "wf-" + id}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.fus.Create(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

// slaV2 puts version 2 of the first-contact SLA, 2 h, in force.
func (r *rolloutFixture) slaV2(t *testing.T) {
	t.Helper()
	r.putPolicy(t, policy.LeadFirstContactSLA, 2, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(2 * time.Hour), Clock: policy.ClockCalendar}})
}

// putPolicy stores version of the policy name, in force since a minute ago.
func (r *rolloutFixture) putPolicy(t *testing.T, name string, version int64, v policy.Value) {
	t.Helper()
	if err := r.gdb.Exec(`INSERT INTO policy_versions (policy, version, value, effective_from, created_by, created_at, reason) VALUES (?, ?, ?, ?, 'analyst', ?, 'test')`,
		name, version, string(v.MustJSON()), time.Now().Add(-time.Minute), time.Now()).Error; err != nil {
		t.Fatal(err)
	}
}

// A rollout page stores the deadline each follow-up's workflow would
// re-compute and tells the workflow what it stored — except for a record
// stored under a newer version of one of its policies than the page
// resolved, which it leaves as it stands and signals bare. A retried page
// signals again what it stored, and stores nothing twice.
func TestRolloutPageStoresWhatTheWorkflowsWouldAndSaysSo(t *testing.T) {
	ctx := context.Background()
	r := newRolloutFixture(t)
	pol, fus, anchor := r.pol, r.fus, r.anchor
	r.open(t, "fu-a", 1)
	r.open(t, "fu-b", 1)
	r.open(t, "fu-newer", 5) // its ladder was stored at v5, newer than any the page will resolve
	r.slaV2(t)

	wf := &signals{sent: map[string][]*followupv1.PolicyChangedSignal{}}
	svc := app.NewFollowUps(fus, pol, wf, nil, nil, app.Links{})
	in := &followupv1.RolloutPageInput{Rollout: &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 2}, Limit: 500}
	res, err := svc.RolloutPage(ctx, in, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetSignalled() != 3 {
		t.Fatalf("signalled %d, want 3", res.GetSignalled())
	}
	for _, id := range []string{"fu-a", "fu-b"} {
		f, err := fus.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if f.PolicyVersion != 2 || !f.DueAt.Equal(anchor.Add(2*time.Hour)) {
			t.Errorf("%s stored on v%d due %s, want v2 due %s", id, f.PolicyVersion, f.DueAt, anchor.Add(2*time.Hour))
		}
		sig := wf.sent["wf-"+id]
		if len(sig) != 1 || sig[0].GetResolved() == nil || sig[0].GetResolvedFor().GetTeam() != "north" || sig[0].GetRecorded() == nil ||
			!sig[0].GetRecorded().GetDueAt().AsTime().Equal(anchor.Add(2*time.Hour)) || sig[0].GetRecorded().GetPolicyVersion() != 2 || sig[0].GetRecordedLevel() != 0 {
			t.Errorf("%s signalled %v, want the resolution and the change stored", id, sig)
		}
	}
	newer, err := fus.Get(ctx, "fu-newer")
	if err != nil {
		t.Fatal(err)
	}
	if newer.PolicyVersion != 1 || newer.EscalationPolicyVersion != 5 || !newer.DueAt.Equal(anchor.Add(4*time.Hour)) {
		t.Errorf("a record stored under a newer ladder was written: %+v", newer)
	}
	if sig := wf.sent["wf-fu-newer"]; len(sig) != 1 || sig[0].GetResolved() != nil || sig[0].GetRecorded() != nil || sig[0].GetVersion() != 2 {
		t.Errorf("fu-newer signalled %v, want the bare signal", sig)
	}

	// A retried page (its first attempt may have died before signalling)
	// signals the follow-ups already on v2 again and stores nothing twice.
	if _, err := svc.RolloutPage(ctx, in, true, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"fu-a", "fu-b"} {
		if sig := wf.sent["wf-"+id]; len(sig) != 2 || sig[1].GetRecorded() == nil {
			t.Errorf("%s after the retry: %v, want signalled again with what is stored", id, sig)
		}
		if changed := deadlineChanges(t, fus, id); changed != 1 {
			t.Errorf("%s has %d deadline changes in its history, want 1", id, changed)
		}
	}

	// A retried reconciliation page signals every follow-up of its page:
	// it cannot tell which ones an earlier attempt stored.
	res, err = svc.RolloutPage(ctx, &followupv1.RolloutPageInput{Rollout: &followupv1.RolloutInput{}, Limit: 500}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetSignalled() != 3 {
		t.Errorf("retried reconciliation signalled %d, want all 3", res.GetSignalled())
	}
}

// checked is a fake app.Workflows that, at each signal, reads the
// follow-up's record as it stands then.
type checked struct {
	signals
	fus     *store.FollowUps
	version int64
	early   []string // signalled while their record was not yet on version
}

func (c *checked) Signal(ctx context.Context, wid, name string, payload any) error {
	f, err := c.fus.Get(ctx, strings.TrimPrefix(wid, "wf-"))
	if err != nil {
		return err
	}
	c.mu.Lock()
	if f.PolicyVersion != c.version {
		c.early = append(c.early, f.ID)
	}
	c.mu.Unlock()
	return c.signals.Signal(ctx, wid, name, payload)
}

// A page larger than the chunk it stores at a time signals each workflow
// only once its record is stored on the new version, and signals all of
// them: the chunks stored later are not lost to the signals already going.
func TestRolloutPageSignalsNoWorkflowBeforeItsRecordIsStored(t *testing.T) {
	ctx := context.Background()
	r := newRolloutFixture(t)
	pol, fus, anchor := r.pol, r.fus, r.anchor
	const n = 250 // three chunks
	for i := range n {
		r.open(t, fmt.Sprintf("fu-%03d", i), 1)
	}
	r.slaV2(t)
	wf := &checked{signals: signals{sent: map[string][]*followupv1.PolicyChangedSignal{}}, fus: fus, version: 2}
	svc := app.NewFollowUps(fus, pol, wf, nil, nil, app.Links{})
	res, err := svc.RolloutPage(ctx, &followupv1.RolloutPageInput{Rollout: &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 2}, Limit: 500}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetSignalled() != n || len(wf.sent) != n {
		t.Fatalf("signalled %d (%d workflows), want %d", res.GetSignalled(), len(wf.sent), n)
	}
	if len(wf.early) > 0 {
		t.Fatalf("%d workflows were signalled before their record was stored on v2, e.g. %s", len(wf.early), wf.early[0])
	}
	for id, sig := range wf.sent {
		if len(sig) != 1 || sig[0].GetRecorded() == nil || !sig[0].GetRecorded().GetDueAt().AsTime().Equal(anchor.Add(2*time.Hour)) {
			t.Fatalf("%s signalled %v, want the change stored", id, sig)
		}
	}
}

// deadlineChanges counts the deadline changes in follow-up id's history.
func deadlineChanges(t *testing.T, fus *store.FollowUps, id string) int {
	t.Helper()
	evs, err := fus.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, e := range evs {
		if e.Action == "deadline_changed" {
			changed++
		}
	}
	return changed
}
