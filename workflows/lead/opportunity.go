package lead

import (
	"strconv"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

type oppWF struct {
	data      *salesv1.OpportunityData
	snap      *salesv1.OpportunitySnapshot
	tracking  bool
	fuID      string
	fuState   func() *followupv1.FollowUpState
	interrupt workflow.Channel
	mu        workflow.Mutex
	sales     workflow.Context
	round     int  // stale-stage follow-ups opened in the current stage
	created   bool // the opportunity is stored (commands wait for it)
	runs           // continue-as-new (continue.go)
}

// Opportunity is the Opportunity workflow (Opportunity:<id>): it stores the
// opportunity, keeps a stale-stage follow-up for its current funnel stage —
// due after the lead.stale_stage policy's entry for the stage, escalating
// along lead.escalation_ladder — and applies stage changes, wins and losses
// sent as updates, until the opportunity is won or lost.
//
// When the owner closes a stale-stage follow-up without moving the stage (the
// review happened, the deal is simply slow), a new one starts from then.
// Escalation steps are recorded on the follow-up and the timeline; an
// opportunity is never moved to another owner automatically.
func Opportunity(ctx workflow.Context, in *salesv1.OpportunityInput) (*salesv1.OpportunitySnapshot, error) {
	o := in.GetOpportunity()
	if o.GetId() == "" || o.GetCustomerId() == "" || o.GetOwnerId() == "" {
		return nil, temporal.NewNonRetryableApplicationError("an opportunity needs an id, a customer and an owner", "invalid", nil)
	}
	w := &oppWF{interrupt: workflow.NewBufferedChannel(ctx, 1), mu: workflow.NewMutex(ctx), sales: callSales(ctx),
		snap: &salesv1.OpportunitySnapshot{OpportunityId: o.GetId(), Stage: o.GetStage(), Status: StatusOpen},
		runs: newRuns(ctx, in.GetContinueAsNewAfter())}
	carried := in.GetCarried()
	if carried != nil {
		w.restore(carried)
	}
	if err := workflow.SetQueryHandler(ctx, wfc.QueryOpportunityState, func() (*salesv1.OpportunitySnapshot, error) { return w.snapshot(), nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateOpportunityCommand, w.command, workflow.UpdateHandlerOptions{Validator: w.validate}); err != nil {
		return nil, err
	}
	w.mayContinue = workflow.GetVersion(ctx, versionContinueAsNew, workflow.DefaultVersion, 1) >= 1
	if o.GetCreatedAt() == nil {
		o = proto.Clone(o).(*salesv1.OpportunityData)
		o.CreatedAt = timestamppb.New(workflow.Now(ctx))
	}
	w.data = o
	if carried == nil {
		var s salesv1.OpportunitySnapshot
		if err := workflow.ExecuteActivity(w.sales, salesc.ActivityCreateOpportunity, o).Get(ctx, &s); err != nil {
			return nil, err
		}
		w.snap = &s
		w.created = true
	}
	w.watch(ctx, func() bool { return w.tracking })

	for w.snap.GetStatus() == StatusOpen {
		again, err := w.trackStage(ctx)
		if err != nil {
			return nil, err
		}
		if again {
			return nil, w.continueAsNew(ctx)
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return w.snapshot(), nil
}

// trackStage runs one stale-stage follow-up of the current stage (or the
// one the previous run carried). again is true when the run should continue
// as new now, the follow-up still open (fuCarried).
func (w *oppWF) trackStage(ctx workflow.Context) (again bool, err error) {
	var spec *followupv1.FollowUpSpec
	var resume *followup.Progress
	var entered *timestamppb.Timestamp
	if c := w.fuCarried; c != nil { // opened by the previous run
		w.fuCarried = nil
		spec, resume, entered = c.GetSpec(), progressOf(c), c.GetStageEnteredAt()
	} else {
		for w.interrupt.ReceiveAsync(nil) {
		}
		entered = w.snap.GetStageEnteredAt()
		spec = w.stageSpec(ctx)
	}
	stage, _ := strconv.Atoi(spec.GetPolicyKey())
	w.fuID, w.tracking = spec.GetId(), true
	out, err := w.track(ctx, spec, resume, followup.Options{
		OnStep:    w.onStep,
		Interrupt: w.interrupt,
		Expose:    func(f func() *followupv1.FollowUpState) { w.fuState = f },
	}, func(p *followup.Progress) { w.fuCarried = carry(spec, 0, p, entered) })
	if err != nil || out.State == followup.Suspended {
		return err == nil, err
	}
	w.tracking, w.fuState = false, nil
	if int(w.snap.GetStage()) != stage || !w.snap.GetStageEnteredAt().AsTime().Equal(entered.AsTime()) {
		w.round = 0
	}
	return false, nil
}

// stageSpec is the next stale-stage follow-up of the current stage.
func (w *oppWF) stageSpec(ctx workflow.Context) *followupv1.FollowUpSpec {
	s := w.snap
	stage, entered := s.GetStage(), s.GetStageEnteredAt()
	anchor := entered
	if w.round > 0 { // reviewed without moving: the next review is due a stage period from now
		anchor = timestamppb.New(workflow.Now(ctx))
	}
	w.round++
	key := strconv.Itoa(int(stage))
	id := uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/stale-stage\x00"+s.GetOpportunityId()+"\x00"+key+"\x00"+
		strconv.FormatInt(entered.AsTime().UnixNano(), 10)+"\x00"+strconv.Itoa(w.round))).String()
	return &followupv1.FollowUpSpec{
		Id: id, Kind: policy.KindStaleStage, CustomerId: s.GetCustomerId(), OwnerId: s.GetOwnerId(), Team: s.GetTeam(),
		Territory: s.GetRegion(), Title: "Review opportunity stuck in stage " + key, AnchorAt: anchor, PolicyKey: key, OpenedBy: "workflow",
	}
}

func (w *oppWF) onStep(ctx workflow.Context, st followup.Step) error {
	s := w.snap
	summary := "stage " + strconv.Itoa(int(s.GetStage())) + " without progress: "
	kind := "escalated"
	switch st.Action {
	case policy.ActionRemind:
		kind, summary = "reminder", summary+"reminded "+s.GetOwnerId()
	case policy.ActionEscalateManager:
		summary += "escalated to the managers of team " + s.GetTeam()
	default:
		summary += "escalated to the managers of team " + s.GetTeam() + " to decide on " + string(st.Action)
	}
	return workflow.ExecuteActivity(w.sales, salesc.ActivityRecordEvent, &salesv1.TimelineEvent{
		Id: w.fuID + ":step:" + strconv.Itoa(st.Level), SubjectType: "opportunity", SubjectId: s.GetOpportunityId(), Kind: kind,
		Actor: "workflow", Summary: summary, At: timestamppb.New(st.At), DataJson: jsonOf(map[string]string{"action": string(st.Action), "follow_up_id": w.fuID}),
	}).Get(ctx, nil)
}

func (w *oppWF) validate(ctx workflow.Context, c *salesv1.OpportunityCommand) error {
	if w.applied.Seen(ctx) {
		return nil
	}
	var r *Refusal
	if c.GetOp() == OpStage {
		r = CheckStageChange(w.snap.GetStatus(), int(w.snap.GetStage()), int(c.GetToStage()), c.GetMayGoBack(), c.GetReason())
	} else {
		r = CheckClose(w.snap.GetStatus(), c.GetOp(), c.GetReason())
	}
	if r != nil {
		return r.Err()
	}
	return nil
}

func (w *oppWF) command(ctx workflow.Context, c *salesv1.OpportunityCommand) (*salesv1.OpportunitySnapshot, error) {
	// An update can arrive in the workflow's first task, before the
	// opportunity is stored: applying it then would race the creation.
	if err := workflow.Await(ctx, func() bool { return w.created }); err != nil {
		return nil, err
	}
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if w.applied.Seen(ctx) { // a request retried after the workflow continued as new
		return w.snapshot(), nil
	}
	w.decided++
	if err := w.validate(ctx, c); err != nil {
		return nil, err
	}
	c = proto.Clone(c).(*salesv1.OpportunityCommand)
	c.OpportunityId = w.snap.GetOpportunityId()
	c.EventId = c.GetOpportunityId() + ":" + workflow.GetCurrentUpdateInfo(ctx).ID
	if c.GetAt() == nil {
		c.At = timestamppb.New(workflow.Now(ctx))
	}
	var s salesv1.OpportunitySnapshot
	if err := workflow.ExecuteActivity(w.sales, salesc.ActivityApplyOpportunityCommand, c).Get(ctx, &s); err != nil {
		return nil, err
	}
	w.snap = &s
	w.applied.Add(ctx)
	if w.tracking {
		note := "moved to stage " + strconv.Itoa(int(c.GetToStage()))
		if c.GetOp() != OpStage {
			note = "opportunity " + c.GetOp()
		}
		// Never blocks: if an interrupt is already pending, the follow-up
		// closes on that one, and the stage loop then sees this command's
		// outcome. (A blocking send deadlocked when the command won the
		// opportunity while an earlier interrupt was still pending: the
		// loop ended and nobody received.)
		w.interrupt.SendAsync(&followupv1.CloseSignal{State: "done", By: c.GetActor(), Note: note})
	}
	return w.snapshot(), nil
}

func (w *oppWF) snapshot() *salesv1.OpportunitySnapshot {
	s := proto.Clone(w.snap).(*salesv1.OpportunitySnapshot)
	if w.tracking && w.fuState != nil {
		f := w.fuState()
		s.FollowUpId, s.DueAt, s.NextDeadline, s.Level = w.fuID, f.GetDueAt(), f.GetNextAt(), f.GetLevel()
	}
	return s
}
