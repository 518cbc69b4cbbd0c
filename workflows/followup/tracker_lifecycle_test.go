package followup_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ---------------------------------------------------------------------------
// Opening

func TestFollowUpOpensWithDueFromPolicyInForce(t *testing.T) {
	evening := calendar.Spec{Name: "evening shift", TimeZone: "Asia/Shanghai", Location: shanghai,
		Week: calendar.Weekdays(calendar.Range{Start: calendar.At(18, 0), End: calendar.At(22, 0)})}
	yesterday := monday10.Add(-24 * time.Hour)
	cases := []struct {
		name      string
		spec      *followupv1.FollowUpSpec
		setup     func(*store)
		wantNames []string
		wantDue   time.Time
		wantPol   string
		wantPolV  int64
		wantEscV  int64
		wantCal   string
		wantCalV  int64
	}{{
		// 10:00–12:00 and 13:30–15:30 make the shipped 4 business hours.
		name:      "shipped business SLA on the assigned calendar",
		spec:      firstContact(monday10),
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   cst(time.March, 2, 15, 30),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 1, wantEscV: 1,
		wantCal: cnMainland, wantCalV: cnMainlandVersion,
	}, {
		name:      "SLA changed to 90 minutes of calendar time",
		spec:      firstContact(monday10),
		setup:     func(s *store) { s.putPolicy(policy.LeadFirstContactSLA, 3, yesterday, elapsedTimer(90*time.Minute)) },
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   monday10.Add(90 * time.Minute),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 3, wantEscV: 1,
		// the ladder still counts business time on the assigned calendar
		wantCal: cnMainland, wantCalV: cnMainlandVersion,
	}, {
		name: "business SLA naming its own calendar",
		spec: firstContact(monday10),
		setup: func(s *store) {
			s.putCalendar("evening", 4, yesterday, evening)
			s.putPolicy(policy.LeadFirstContactSLA, 2, yesterday, businessTimer(4*time.Hour, "evening"))
		},
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   cst(time.March, 2, 22, 0),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 2, wantEscV: 1,
		// the record names the deadline's calendar, not the ladder's
		wantCal: "evening", wantCalV: 4,
	}, {
		name: "calendar-clock SLA and ladder use no calendar",
		spec: firstContact(monday10),
		setup: func(s *store) {
			s.putPolicy(policy.LeadFirstContactSLA, 4, yesterday, elapsedTimer(3*time.Hour))
			s.putPolicy(policy.LeadEscalation, 5, yesterday, elapsedLadder())
		},
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   monday10.Add(3 * time.Hour),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 4, wantEscV: 5,
		wantCal: "", wantCalV: 0,
	}, {
		name: "table policy entry for the spec's key",
		spec: func() *followupv1.FollowUpSpec {
			s := firstContact(monday10)
			s.Kind, s.PolicyKey = policy.KindStaleStage, "3"
			return s
		}(),
		setup: func(s *store) {
			s.putPolicy(policy.LeadStaleStage, 5, yesterday, policy.Value{Table: map[string]policy.Timer{
				"1": *elapsedTimer(30 * 24 * time.Hour).Timer, "2": *elapsedTimer(21 * 24 * time.Hour).Timer,
				"3": *elapsedTimer(10 * 24 * time.Hour).Timer, "4": *elapsedTimer(7 * 24 * time.Hour).Timer,
			}})
		},
		wantNames: []string{policy.LeadStaleStage, policy.LeadEscalation},
		wantDue:   monday10.Add(10 * 24 * time.Hour),
		wantPol:   policy.LeadStaleStage, wantPolV: 5, wantEscV: 1,
		wantCal: cnMainland, wantCalV: cnMainlandVersion,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The workflow starts an hour after the anchor: the due time counts
			// from the anchor, not from the start.
			start := monday10.Add(time.Hour)
			h := newHarness(t, start)
			if tc.setup != nil {
				tc.setup(h.store)
			}
			closeAt := tc.wantDue.Add(-time.Minute)
			h.closeAt(closeAt)
			out := h.run(tc.spec)

			if got, want := h.names(), []string{followupc.ActivityResolvePolicies, followupc.ActivityOpenFollowUp, followupc.ActivityCloseFollowUp}; !slices.Equal(got, want) {
				t.Fatalf("activities %v, want %v (nothing may happen before the due time); calls:%s", got, want, h.trace())
			}
			r := h.resolves()[0]
			h.wantTime("resolved at", r.at, start)
			h.wantTime("resolved for", ts(r.in.GetAt()), start)
			if !slices.Equal(r.in.GetNames(), tc.wantNames) || r.in.GetTeam() != "team-east" || r.in.GetTerritory() != "shanghai" {
				t.Errorf("resolve input %v, want names %v for team-east/shanghai", r.in, tc.wantNames)
			}
			o := h.opens()[0]
			h.wantTime("opened at", o.at, start)
			h.wantTime("due", ts(o.in.GetDueAt()), tc.wantDue)
			if !proto.Equal(o.in.GetSpec(), tc.spec) {
				t.Errorf("record spec %v, want %v", o.in.GetSpec(), tc.spec)
			}
			if o.in.GetPolicy() != tc.wantPol || o.in.GetPolicyVersion() != tc.wantPolV ||
				o.in.GetEscalationPolicy() != policy.LeadEscalation || o.in.GetEscalationPolicyVersion() != tc.wantEscV ||
				o.in.GetCalendar() != tc.wantCal || o.in.GetCalendarVersion() != tc.wantCalV {
				t.Errorf("record %s v%d / %s v%d / calendar %s v%d, want %s v%d / %s v%d / calendar %s v%d",
					o.in.GetPolicy(), o.in.GetPolicyVersion(), o.in.GetEscalationPolicy(), o.in.GetEscalationPolicyVersion(),
					o.in.GetCalendar(), o.in.GetCalendarVersion(),
					tc.wantPol, tc.wantPolV, policy.LeadEscalation, tc.wantEscV, tc.wantCal, tc.wantCalV)
			}
			if o.in.GetWorkflowId() == "" || o.in.GetRunId() == "" {
				t.Errorf("record lacks its workflow: %v", o.in)
			}
			c := h.closes()[0]
			h.wantTime("closed at", c.at, closeAt)
			if c.in.GetState() != "done" || c.in.GetBy() != "rep-ana" || c.in.GetId() != followUpID {
				t.Errorf("close %v", c.in)
			}
			if out.GetState() != "done" || out.GetBy() != "rep-ana" || out.GetNote() != "called" {
				t.Errorf("result %v", out)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Closing and cancelling

func TestCloseSignalClosesTheFollowUp(t *testing.T) {
	cases := []struct {
		name      string
		at        time.Duration
		signal    *followupv1.CloseSignal
		wantState string
		wantSteps int
	}{
		{"done by the rep before due", 30 * time.Minute, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"}, "done", 0},
		{"cancelled by a manager", 30 * time.Minute, &followupv1.CloseSignal{State: "cancelled", By: "mgr-li", Note: "duplicate lead"}, "cancelled", 0},
		{"unknown state counts as done", 30 * time.Minute, &followupv1.CloseSignal{State: "finished", By: "rep-ana"}, "done", 0},
		{"done after the first step", 2*time.Hour + 30*time.Minute, &followupv1.CloseSignal{State: "done", By: "rep-ana"}, "done", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
			h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
			h.after(tc.at, func() { h.env.SignalWorkflow(wfc.SignalCloseFollowUp, tc.signal) })
			out := h.run(firstContact(monday10))

			closes := h.closes()
			h.wantCount("CloseFollowUp", len(closes), 1)
			c := closes[0]
			h.wantTime("closed at", c.at, monday10.Add(tc.at))
			h.wantTime("close input at", ts(c.in.GetAt()), monday10.Add(tc.at))
			if c.in.GetId() != followUpID || c.in.GetState() != tc.wantState || c.in.GetBy() != tc.signal.GetBy() || c.in.GetNote() != tc.signal.GetNote() {
				t.Errorf("close %v, want state %s by %s", c.in, tc.wantState, tc.signal.GetBy())
			}
			if out.GetState() != tc.wantState || out.GetBy() != tc.signal.GetBy() || out.GetNote() != tc.signal.GetNote() {
				t.Errorf("result %v, want state %s by %s", out, tc.wantState, tc.signal.GetBy())
			}
			h.wantCount("RecordFollowUpStep", len(h.steps()), tc.wantSteps)
			if names := h.names(); names[len(names)-1] != followupc.ActivityCloseFollowUp {
				t.Errorf("activity after closing: %v", names)
			}
		})
	}
}

func TestCancellationClosesTheFollowUp(t *testing.T) {
	cases := []struct {
		name      string
		at        time.Duration
		wantSteps int
	}{
		{"while waiting for the due time", time.Hour, 0},
		{"after the first step", 3 * time.Hour, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
			h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
			h.after(tc.at, h.env.CancelWorkflow)
			h.env.ExecuteWorkflow(followup.FollowUp, firstContact(monday10))
			if !h.env.IsWorkflowCompleted() {
				t.Fatalf("workflow did not end; calls:%s", h.trace())
			}
			if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
				t.Fatalf("workflow error %v, want cancelled; calls:%s", err, h.trace())
			}
			closes := h.closes()
			h.wantCount("CloseFollowUp", len(closes), 1)
			c := closes[0]
			h.wantTime("closed at", c.at, monday10.Add(tc.at))
			if c.in.GetId() != followUpID || c.in.GetState() != "cancelled" || c.in.GetBy() != "workflow" {
				t.Errorf("close %v, want cancelled by workflow", c.in)
			}
			h.wantCount("RecordFollowUpStep", len(h.steps()), tc.wantSteps)
		})
	}
}

// ---------------------------------------------------------------------------
// Invalid follow-ups

func TestInvalidFollowUpFailsWithoutRetry(t *testing.T) {
	cases := []struct {
		name         string
		edit         func(*followupv1.FollowUpSpec)
		setup        func(*store)
		wantType     string
		wantActivity []string
	}{
		{"unknown kind", func(s *followupv1.FollowUpSpec) { s.Kind = "sing_a_song" }, nil, followup.ErrUnknownKind, nil},
		{"no owner", func(s *followupv1.FollowUpSpec) { s.OwnerId = "" }, nil, followup.ErrInvalidSpec, nil},
		{"no anchor", func(s *followupv1.FollowUpSpec) { s.AnchorAt = nil }, nil, followup.ErrInvalidSpec, nil},
		{"no id", func(s *followupv1.FollowUpSpec) { s.Id = "" }, nil, followup.ErrInvalidSpec, nil},
		{
			"table key the policy lacks",
			func(s *followupv1.FollowUpSpec) { s.Kind, s.PolicyKey = policy.KindStaleStage, "9" },
			nil, followup.ErrInvalidSpec, []string{followupc.ActivityResolvePolicies},
		},
		{
			"unusable policy value", nil,
			func(s *store) {
				s.putRawPolicy(policy.LeadFirstContactSLA, 2, time.Time{}, []byte(`{"timer":{"duration":"8x","clock":"calendar"}}`))
			},
			followup.ErrPolicyUnusable, []string{followupc.ActivityResolvePolicies},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			if tc.setup != nil {
				tc.setup(h.store)
			}
			spec := firstContact(monday10)
			if tc.edit != nil {
				tc.edit(spec)
			}
			h.env.ExecuteWorkflow(followup.FollowUp, spec)
			if !h.env.IsWorkflowCompleted() {
				t.Fatal("workflow did not end")
			}
			var appErr *temporal.ApplicationError
			if err := h.env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != tc.wantType || !appErr.NonRetryable() {
				t.Fatalf("workflow error %v, want a non-retryable %s", err, tc.wantType)
			}
			if got := h.names(); !slices.Equal(got, tc.wantActivity) {
				t.Errorf("activities %v, want %v", got, tc.wantActivity)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Query

func TestStateQueryFollowsChanges(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, businessTimer(8*time.Hour, ""))
	var states []*followupv1.FollowUpState
	h.after(30*time.Minute, func() { states = append(states, h.query()) })
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), businessTimer(3*time.Hour, ""))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.after(2*time.Hour, func() { states = append(states, h.query()) })
	h.until(cst(time.March, 2, 15, 0), func() { states = append(states, h.query()) })
	h.closeAt(cst(time.March, 2, 15, 30))
	h.run(firstContact(monday10))

	tue1030, mon1430, tue0930 := cst(time.March, 3, 10, 30), cst(time.March, 2, 14, 30), cst(time.March, 3, 9, 30)
	want := []struct {
		due, next      time.Time
		version        int64
		level, recomps int32
	}{
		{tue1030, tue1030, 1, 0, 0},
		{mon1430, mon1430, 2, 0, 1},
		{mon1430, tue0930, 2, 1, 1},
	}
	if len(states) != len(want) {
		t.Fatalf("%d answers, want %d", len(states), len(want))
	}
	for i, w := range want {
		s := states[i]
		if !ts(s.GetDueAt()).Equal(w.due) || !ts(s.GetNextAt()).Equal(w.next) || s.GetPolicyVersion() != w.version ||
			s.GetEscalationPolicyVersion() != 1 || s.GetLevel() != w.level || s.GetRecomputations() != w.recomps {
			t.Errorf("answer %d: due %s next %s %v; want due %s next %s v%d level %d recomputations %d",
				i, show(ts(s.GetDueAt())), show(ts(s.GetNextAt())), s, show(w.due), show(w.next), w.version, w.level, w.recomps)
		}
	}
}
