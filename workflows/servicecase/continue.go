package servicecase

import (
	"maps"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Continuing as new.
//
// A case is changed, replied to and escalated for as long as it is open: its
// history has no upper bound. When the server suggests it (or after
// Input.continue_as_new_after decided updates), the run ends at a safe point
// and the next run of ServiceCase:<id> starts with the whole state carried
// (CaseCarried): the case, the clocks, the generations and the running
// follow-ups, suspended by Track between steps (never in the middle of one)
// and resumed by the next run without opening them again or repeating a
// step. Updates and signals sent by id reach whichever run is current.
// The bookkeeping is wfx.Runs (the updates decided in this run, the
// limit, the ids applied), embedded in the workflow's state.

// suspendChases asks every running generation to suspend and waits until
// none runs (each suspended, or ended meanwhile).
func (w *caseWF) suspendChases(ctx workflow.Context) error {
	for _, t := range w.targets {
		if t.running {
			t.suspend.SendAsync(true)
		}
	}
	err := workflow.Await(ctx, func() bool { return !w.chasing() || w.err != nil })
	for _, t := range w.targets {
		for t.suspend.ReceiveAsync(nil) { // asked of a generation that ended meanwhile
		}
	}
	return err
}

// continueAsNew ends the run; the next one goes on with the case.
func (w *caseWF) continueAsNew(ctx workflow.Context) error {
	carried := &servicev1.CaseCarried{Snapshot: proto.Clone(w.snap).(*servicev1.CaseSnapshot), Generations: map[string]int32{},
		Unchased:         map[string]string{},
		AppliedUpdateIds: w.Applied.IDs()}
	for _, t := range w.targets {
		carried.Clocks = append(carried.Clocks, clockOf(t.clock))
		carried.Generations[string(t.name)] = t.gen
		if t.unchased != "" {
			carried.Unchased[string(t.name)] = t.unchased
		}
		if c := t.carried; c != nil {
			carried.Tracked = append(carried.Tracked, &servicev1.TrackedTarget{Target: string(t.name), Spec: c.spec,
				Level: int32(c.progress.Level), Recomputations: c.progress.Recomputations, Versions: maps.Clone(c.progress.Versions),
				Calendar: c.progress.Calendar, ChaseKey: c.key})
		}
	}
	workflow.GetLogger(ctx).Info("service case continues as new", "case_id", w.snap.GetCaseId(), "decided", w.Decided)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowServiceCase, &servicev1.CaseInput{Case: w.snap, ContinueAsNewAfter: w.Limit,
		Carried: carried})
}

// restore takes over the state the previous run carried.
func (w *caseWF) restore(c *servicev1.CaseCarried) {
	w.snap = proto.Clone(c.GetSnapshot()).(*servicev1.CaseSnapshot)
	w.Applied = wfx.NewApplied(c.GetAppliedUpdateIds())
	for i, t := range w.targets {
		if i < len(c.GetClocks()) {
			t.clock = clockFrom(c.GetClocks()[i])
		}
		t.gen = c.GetGenerations()[string(t.name)]
		t.unchased = c.GetUnchased()[string(t.name)]
		for _, tr := range c.GetTracked() {
			if tr.GetTarget() != string(t.name) {
				continue
			}
			t.carried = &carriedChase{key: tr.GetChaseKey(), spec: tr.GetSpec(), progress: &followup.Progress{Level: int(tr.GetLevel()),
				Recomputations: tr.GetRecomputations(), Versions: maps.Clone(tr.GetVersions()), Calendar: tr.GetCalendar()}}
		}
	}
}
