// Package lead holds the sales workflows: Lead (one per lead: assignment and
// first-contact escalation, then the lead's lifecycle) and Opportunity (one per
// opportunity: funnel stages and the stale-stage follow-up).
//
// Both are the only writers of their record once it exists: every change a
// person asks for arrives as a Temporal Update, is checked by the update's
// validator against the workflow's state (refused synchronously with a reason
// when not allowed), and is then applied by an idempotent activity of the
// sales service. So a lead's timers can never disagree with its record.
//
// Escalation is the follow-up engine's Track, embedded: the first-contact
// follow-up is due after the lead.first_contact_sla policy (in business time
// by default) and escalates along lead.escalation_ladder; the ladder's
// reassign and return_to_pool steps are carried out here, through Track's
// OnStep hook (escalation.go). Policy changes reach running leads as they
// reach every follow-up (see workflows/followup).
//
// Neither workflow's loop has an upper bound, so both continue as new when
// their history grows long, carrying their state and the open follow-up to
// the next run of the same workflow id (continue.go).
package lead

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// callSales and callCustomer are the activity options of the sales
// workflows (wfx's one convention): retried until they succeed, except
// business refusals, which the activities fail as non-retryable.
func callSales(ctx workflow.Context) workflow.Context {
	return wfx.Activities(ctx, wfx.Call{Queue: salesc.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
}

func callCustomer(ctx workflow.Context) workflow.Context {
	return wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
}

type leadWF struct {
	data     *salesv1.LeadData
	snap     *salesv1.LeadSnapshot
	seq      int32 // last assignment number
	trackSeq int32 // assignment number of the running follow-up
	firstSeq int32 // assignment number at the end of the first assignment
	created  bool  // the customer was created for this lead
	// bound: the customer already had an owner when the lead arrived (or
	// another lead claimed it first). Such a lead belongs to the customer's
	// owner: the ladder never moves it, and a manager moves it only together
	// with the customer (see CheckReassign).
	bound bool
	// ownerRules: the execution runs with the customer-bound rules (version
	// 1 of versionOwnerRules); older executions replay as they ran.
	ownerRules bool
	// custOwner and custTeam are the customer's owner and team as last seen.
	custOwner, custTeam string
	// noChase: a person cancelled the current owner's first-contact
	// follow-up; nothing is timed until the lead changes hands.
	noChase  bool
	tracking bool
	fuID     string
	fuState  func() *followupv1.FollowUpState
	// interrupt ends the running first-contact follow-up (contact logged,
	// lead reassigned or disqualified by an update).
	interrupt workflow.Channel
	mu        workflow.Mutex
	sales     workflow.Context
	customer  workflow.Context
	// local: the run is hosted by the sales service's worker, which runs
	// the sales activities as local activities (host.go).
	local bool
	// localCalls: the sales service that started the lead asked its worker
	// to run the other services' calls as local activities too
	// (LeadInput.calls_local; in force from changeHostedAtCurrent 3:
	// callsLocal, host.go).
	localCalls bool
	runs       // continue-as-new (continue.go)
}

// Lead is the Lead workflow (Lead:<id>); see the package documentation.
func Lead(ctx workflow.Context, in *salesv1.LeadInput) (*salesv1.LeadSnapshot, error) {
	d := in.GetLead()
	if d.GetId() == "" || d.GetReceivedAt() == nil {
		return nil, temporal.NewNonRetryableApplicationError("a lead needs an id and received_at", "invalid", nil)
	}
	w := &leadWF{
		data: d, interrupt: workflow.NewBufferedChannel(ctx, 1), mu: workflow.NewMutex(ctx),
		customer: callCustomer(ctx), local: hostedBySales(ctx), localCalls: in.GetCallsLocal(),
		snap: &salesv1.LeadSnapshot{LeadId: d.GetId(), State: StateNew, CustomerId: d.GetCustomerId(), Assignment: &salesv1.Assignment{}},
		runs: newRuns(ctx, in.GetContinueAsNewAfter()),
	}
	w.sales = w.salesCalls(ctx)
	carried := in.GetCarried()
	if carried != nil {
		w.restore(carried)
	}
	if err := workflow.SetQueryHandler(ctx, wfc.QueryLeadState, func() (*salesv1.LeadSnapshot, error) { return w.snapshot(), nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateReassign, w.reassign, workflow.UpdateHandlerOptions{Validator: w.validateReassign}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateLeadCommand, w.command, workflow.UpdateHandlerOptions{Validator: w.validateCommand}); err != nil {
		return nil, err
	}

	if err := workflow.SetUpdateHandler(ctx, wfc.UpdateAwaitSettled, func(ctx workflow.Context) (*salesv1.LeadSnapshot, error) {
		if err := workflow.Await(ctx, func() bool { return w.snap.GetSettled() }); err != nil {
			return nil, err
		}
		return w.snapshot(), nil
	}); err != nil {
		return nil, err
	}

	if carried == nil {
		w.ownerRules = w.version(ctx, versionOwnerRules) >= 1
	}
	w.mayContinue = w.version(ctx, versionContinueAsNew) >= 1
	if carried == nil {
		if err := w.mu.Lock(ctx); err != nil {
			return nil, err
		}
		err := w.firstAssignment(ctx)
		w.firstSeq, w.snap.Settled = w.seq, true
		w.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	w.watch(ctx, func() bool { return w.tracking })

	for Open(w.snap.GetState()) {
		if w.owesFirstContact() || w.fuCarried != nil {
			again, err := w.trackFirstContact(ctx)
			if err != nil {
				return nil, err
			}
			if again {
				return nil, w.continueAsNew(ctx)
			}
			continue
		}
		// Pooled, contacted or qualified: nothing is timed until an update
		// changes the lead (assignment from the pool, closing).
		if err := workflow.Await(ctx, func() bool {
			return !Open(w.snap.GetState()) || w.owesFirstContact() || w.continueDue(ctx)
		}); err != nil {
			return nil, err
		}
		if Open(w.snap.GetState()) && !w.owesFirstContact() && w.continueDue(ctx) {
			return nil, w.continueAsNew(ctx)
		}
	}
	// Let a running update (the one that closed the lead) finish its reply.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return w.snapshot(), nil
}

// running identifies the first-contact follow-up being tracked (its
// assignment number), 0 for none: an update interrupts only the follow-up
// that was running when it started, never one the main loop opened since.
func (w *leadWF) running() int32 {
	if !w.tracking {
		return 0
	}
	return w.trackSeq
}

// owesFirstContact: an assigned lead nobody has contacted yet.
func (w *leadWF) owesFirstContact() bool {
	a := w.snap.GetAssignment()
	return w.snap.GetState() == StateNew && !a.GetPooled() && a.GetOwnerId() != "" && w.snap.GetCustomerId() != "" && !w.noChase
}

// firstAssignment finds or creates the customer and assigns the lead: to the
// customer's owner when it has one, else by the territory rules — and then
// claims the customer for that rep, so leads for one customer arriving
// together end with one owner.
func (w *leadWF) firstAssignment(ctx workflow.Context) error {
	if w.hostedAt(ctx) >= 2 {
		return w.routedFirst(ctx)
	}
	d := w.data
	owner := ""
	if d.GetCustomerId() == "" {
		c, err := w.ensureCustomer(ctx, nil)
		if c == nil || err != nil {
			return err
		}
		w.snap.CustomerId, w.created, owner, w.custTeam = c.GetCustomerId(), c.GetCreated(), c.GetOwnerId(), c.GetTeam()
	} else {
		var c salesv1.ClaimCustomerOwnerResult
		if err := workflow.ExecuteActivity(w.customer, customerc.ActivityClaimCustomerOwner, &salesv1.ClaimCustomerOwnerInput{
			CustomerId: d.GetCustomerId(), LeadId: d.GetId(), LeadSource: d.GetSource(), LeadCreatedBy: d.GetCreatedBy()}).Get(ctx, &c); err != nil {
			return err
		}
		owner, w.custTeam = c.GetOwnerId(), c.GetTeam()
	}
	w.custOwner, w.bound = owner, owner != ""
	if owner != "" {
		return w.assign(ctx, &salesv1.AssignLeadInput{OwnerId: owner, IgnoreCapacity: true, Reason: "owner of the customer"})
	}
	if err := w.assign(ctx, &salesv1.AssignLeadInput{Reason: "territory rules"}); err != nil {
		return err
	}
	return w.claimCustomer(ctx)
}

// ensureCustomer finds or creates the customer the lead names — claimed for
// the rep the lead was routed to, if any (route, routedFirst). When the
// customer service refuses the company (it cannot fix itself) the lead
// waits in the pool for a person, and the customer is nil.
func (w *leadWF) ensureCustomer(ctx workflow.Context, route *salesv1.RouteLeadResult) (*salesv1.EnsureCustomerResult, error) {
	d := w.data
	var c salesv1.EnsureCustomerResult
	run, actx := workflow.ExecuteActivity, w.customer
	if w.callsLocal(ctx) {
		run, actx = workflow.ExecuteLocalActivity, w.sales
	}
	err := run(actx, customerc.ActivityEnsureCustomer, &salesv1.EnsureCustomerInput{
		Name: d.GetCompanyName(), TaxId: d.GetTaxId(), Region: d.GetRegion(), Industry: d.GetIndustry(), ContactName: d.GetContactName(),
		ContactEmail: d.GetContactEmail(), ContactPhone: d.GetContactPhone(), Actor: d.GetCreatedBy(),
		NewId:  uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/customer-of-lead\x00"+d.GetId())).String(),
		LeadId: d.GetId(), LeadSource: d.GetSource(), LeadCreatedBy: d.GetCreatedBy(),
		ClaimOwnerId: route.GetOwnerId(), ClaimTeam: route.GetTeam(), ClaimReason: claimReason(d.GetId(), route),
	}).Get(ctx, &c)
	if err == nil {
		return &c, nil
	}
	if !isRefusal(err) {
		return nil, err
	}
	if err := w.event(ctx, "customer_failed", "the customer service refused the company: "+errMessage(err), "workflow", nil); err != nil {
		return nil, err
	}
	return nil, w.assign(ctx, &salesv1.AssignLeadInput{ToPool: true, Reason: "the company could not be recorded as a customer"})
}

// claimReason is why the customer gets the lead's rep, on its audit trail
// (and how a retried claim knows it as this lead's); none without a rep.
func claimReason(leadID string, route *salesv1.RouteLeadResult) string {
	if route.GetOwnerId() == "" {
		return ""
	}
	return assignedReason(leadID)
}

// assignedReason is the reason of a claim for the lead's first owner.
func assignedReason(leadID string) string { return "lead " + leadID + " assigned" }

// claimCustomer makes the lead's owner the customer's owner if it has none;
// if another rep owns it already (a concurrent lead for the same company
// claimed it first), the lead goes to that rep. Used only for the first
// assignment: later, people and escalation steps decide who has the lead.
func (w *leadWF) claimCustomer(ctx workflow.Context) error {
	a := w.snap.GetAssignment()
	if a.GetPooled() || a.GetOwnerId() == "" || w.snap.GetCustomerId() == "" {
		return nil
	}
	var c salesv1.ClaimCustomerOwnerResult
	if err := workflow.ExecuteActivity(w.customer, customerc.ActivityClaimCustomerOwner, &salesv1.ClaimCustomerOwnerInput{
		CustomerId: w.snap.GetCustomerId(), OwnerId: a.GetOwnerId(), Team: a.GetTeam(), Actor: "workflow",
		Reason: assignedReason(w.data.GetId())}).Get(ctx, &c); err != nil {
		return err
	}
	w.custOwner = c.GetOwnerId()
	if c.GetOwnerId() == a.GetOwnerId() || c.GetOwnerId() == "" {
		return nil
	}
	w.bound = true
	return w.assign(ctx, &salesv1.AssignLeadInput{OwnerId: c.GetOwnerId(), IgnoreCapacity: true, Reason: "owner of the customer (claimed by another lead first)"})
}

// followLead moves the customer to the lead's new owner when this lead made
// its owner (created it, or — with the owner rules — claimed it), or when a
// manager asked to move it (moveCustomer). A customer someone owned before
// the lead otherwise keeps its owner.
func (w *leadWF) followLead(ctx workflow.Context, moveCustomer bool) error {
	a := w.snap.GetAssignment()
	follows := w.created || (w.ownerRules && !w.bound) || moveCustomer
	if !follows || w.snap.GetCustomerId() == "" || a.GetPooled() || a.GetOwnerId() == "" || a.GetOwnerId() == w.custOwner {
		return nil
	}
	var c salesv1.ClaimCustomerOwnerResult
	if err := workflow.ExecuteActivity(w.customer, customerc.ActivityClaimCustomerOwner, &salesv1.ClaimCustomerOwnerInput{
		CustomerId: w.snap.GetCustomerId(), OwnerId: a.GetOwnerId(), Team: a.GetTeam(), ReplaceOwnerId: w.custOwner, Actor: "workflow",
		Reason: "lead " + w.data.GetId() + " reassigned"}).Get(ctx, &c); err != nil {
		return err
	}
	w.custOwner = c.GetOwnerId()
	return nil
}

// assign runs the AssignLead activity with the next assignment number; the
// first call also stores the lead and links its customer.
func (w *leadWF) assign(ctx workflow.Context, in *salesv1.AssignLeadInput) error {
	in.LeadId, in.Seq, in.At, in.Team = w.data.GetId(), w.seq+1, timestamppb.New(workflow.Now(ctx)), w.custTeam
	if w.seq == 0 {
		in.Lead, in.CustomerId, in.CustomerCreated = w.data, w.snap.GetCustomerId(), w.created
	}
	if in.Actor == "" {
		in.Actor = "workflow"
	}
	var a salesv1.Assignment
	if err := w.runSales(salesc.ActivityAssignLead, in).Get(ctx, &a); err != nil {
		return err
	}
	w.seq, w.noChase = a.GetSeq(), false
	if a.GetState() != "" {
		w.snap.State = a.GetState()
	}
	a.State = ""
	w.snap.Assignment = &a
	return workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(wfc.SAOwnerID.String()).ValueSet(a.GetOwnerId()),
		temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(w.snap.GetCustomerId()))
}

// trackFirstContact runs the first-contact follow-up of the current
// assignment until it ends: contact logged, reassigned (by a person or a
// ladder step), returned to the pool, or the lead closed. again is true when
// the run should continue as new now, the follow-up still open (fuCarried).
func (w *leadWF) trackFirstContact(ctx workflow.Context) (again bool, err error) {
	var spec *followupv1.FollowUpSpec
	var resume *followup.Progress
	if c := w.fuCarried; c != nil { // opened by the previous run
		w.fuCarried = nil
		spec, resume, w.trackSeq = c.GetSpec(), progressOf(c), c.GetAssignmentSeq()
	} else {
		for w.interrupt.ReceiveAsync(nil) { // a stale interrupt from a follow-up already ended
		}
		spec = w.firstContactSpec()
		w.trackSeq = w.seq
	}
	w.fuID, w.tracking = spec.GetId(), true
	seq := w.trackSeq
	out, err := w.track(ctx, spec, resume, followup.Options{
		OnStep: w.onStep, Interrupt: w.interrupt, RecordAs: w.stepRecordedAs,
		Expose:  func(f func() *followupv1.FollowUpState) { w.fuState = f },
		Current: w.atCurrent(ctx),
		Local:   w.callsLocal(ctx), OpeningAt: w.assignedAt(),
	}, func(p *followup.Progress) { w.fuCarried = carry(spec, seq, p, nil) })
	if err != nil || out.State == followup.Suspended {
		return err == nil, err
	}
	w.tracking, w.fuState = false, nil
	return false, w.firstContactEnded(ctx, seq, out)
}

// firstContactSpec is the first-contact follow-up of the current assignment.
func (w *leadWF) firstContactSpec() *followupv1.FollowUpSpec {
	a := w.snap.GetAssignment()
	anchor := a.GetAssignedAt()
	trusted := !w.ownerRules || w.data.GetImported()
	if w.seq == w.firstSeq && trusted && w.data.GetReceivedAt().AsTime().Before(anchor.AsTime()) {
		// An imported lead's first owner: the SLA counts from when the lead
		// arrived. Any other lead's counts from its assignment, never from a
		// received_at its creator chose.
		anchor = w.data.GetReceivedAt()
	}
	id := uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/lead-first-contact\x00"+w.data.GetId()+"\x00"+strconv.Itoa(int(w.seq)))).String()
	return &followupv1.FollowUpSpec{
		Id: id, Kind: policy.KindFirstContact, CustomerId: w.snap.GetCustomerId(), OwnerId: a.GetOwnerId(), Team: a.GetTeam(),
		Territory: w.data.GetRegion(), Title: "First contact with lead " + w.data.GetCompanyName(), AnchorAt: anchor, OpenedBy: "workflow",
	}
}

// firstContactEnded applies how the follow-up of assignment seq ended.
func (w *leadWF) firstContactEnded(ctx workflow.Context, seq int32, out followup.Outcome) error {
	// Ended while the lead is still new and with the same owner: closed from
	// outside. Done (an action log in another service sent close-follow-up)
	// is the first contact; cancelled (a manager called off the chase) stops
	// the timers until the lead changes hands.
	if w.snap.GetState() == StateNew && w.seq == seq && out.State == "cancelled" {
		w.noChase = true
		by := out.By
		if by == "" {
			by = "unknown"
		}
		return w.eventID(ctx, w.fuID+":cancelled", "chase_cancelled", "first-contact follow-up cancelled by "+by+": "+out.Note, by, nil)
	}
	if w.snap.GetState() == StateNew && w.seq == seq {
		if err := w.mu.Lock(ctx); err != nil {
			return err
		}
		defer w.mu.Unlock()
		if w.snap.GetState() != StateNew {
			return nil
		}
		note, by := out.Note, out.By
		if note == "" {
			note = "first contact logged as an action"
		}
		if by == "" {
			by = "unknown"
		}
		return w.apply(ctx, &salesv1.LeadCommand{Op: OpContact, Actor: by, Channel: "other", Summary: note,
			At: timestamppb.New(workflow.Now(ctx)), EventId: w.fuID + ":closed"})
	}
	return nil
}

func (w *leadWF) validateReassign(ctx workflow.Context, req *salesv1.ReassignRequest) error {
	if w.applied.Seen(ctx) {
		return nil
	}
	a := w.snap.GetAssignment()
	if r := CheckReassign(Holding{State: w.snap.GetState(), OwnerID: a.GetOwnerId(), Pooled: a.GetPooled(), Settled: w.seq > 0,
		Bound: w.bound, CustomerOwnerID: w.custOwner}, req); r != nil {
		return r.Err()
	}
	return nil
}

// reassign is the reassign update: a person hands the lead to another rep
// (or the territory rules pick one, or back to the pool).
func (w *leadWF) reassign(ctx workflow.Context, req *salesv1.ReassignRequest) (*salesv1.LeadSnapshot, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if w.applied.Seen(ctx) { // a request retried after the workflow continued as new
		return w.snapshot(), nil
	}
	w.decided++
	if err := w.validateReassign(ctx, req); err != nil { // the state may have moved while waiting for the lock
		return nil, err
	}
	prev, running := w.snap.GetAssignment().GetOwnerId(), w.running()
	in := &salesv1.AssignLeadInput{OwnerId: req.GetToOwnerId(), ToPool: req.GetToPool(), Actor: req.GetActor(), Reason: req.GetReason(),
		Manual: req.GetToOwnerId() != ""}
	if req.GetToOwnerId() == "" && !req.GetToPool() && prev != "" {
		in.Exclude = []string{prev}
	}
	in.AnyTerritory = req.GetAnyTerritory()
	// Keyed by the update: a reassignment a failed workflow task stored is
	// found as stored, and one whose number such a task gave another
	// request is made with the next (salesv1.AssignLeadInput.request_id).
	in.RequestId = workflow.GetCurrentUpdateInfo(ctx).ID
	if err := w.assign(ctx, in); err != nil {
		return nil, err
	}
	if err := w.followLead(ctx, req.GetMoveCustomer()); err != nil {
		return nil, err
	}
	if running != 0 && running == w.running() {
		w.interrupt.SendAsync(&followupv1.CloseSignal{State: "cancelled", By: req.GetActor(), Note: "lead reassigned: " + req.GetReason()})
	}
	w.applied.Add(ctx)
	return w.snapshot(), nil
}

func (w *leadWF) validateCommand(ctx workflow.Context, cmd *salesv1.LeadCommand) error {
	if w.applied.Seen(ctx) {
		return nil
	}
	if r := CheckCommand(w.snap.GetState(), cmd.GetOp()); r != nil {
		return r.Err()
	}
	if o := cmd.GetExpectedOwnerId(); o != "" && o != w.snap.GetAssignment().GetOwnerId() {
		return (&Refusal{Code: "lead_not_found", Message: "the lead was reassigned and is no longer yours"}).Err()
	}
	if cmd.GetOp() == OpConvert && cmd.GetOpportunity() == nil {
		return (&Refusal{Code: "invalid", Message: "convert needs the opportunity to create"}).Err()
	}
	if cmd.GetOp() == OpConvert {
		if r := CheckConvert(w.snap.GetAssignment().GetOwnerId(), w.snap.GetAssignment().GetPooled(), w.custOwner, cmd.GetOpportunity().GetOwnerId()); r != nil {
			return r.Err()
		}
	}
	return nil
}

// command is the lead-command update: contact, qualify, disqualify, convert.
func (w *leadWF) command(ctx workflow.Context, cmd *salesv1.LeadCommand) (*salesv1.LeadSnapshot, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if w.applied.Seen(ctx) { // a request retried after the workflow continued as new
		return w.snapshot(), nil
	}
	w.decided++
	if err := w.validateCommand(ctx, cmd); err != nil {
		return nil, err
	}
	cmd = proto.Clone(cmd).(*salesv1.LeadCommand)
	cmd.EventId = w.data.GetId() + ":" + workflow.GetCurrentUpdateInfo(ctx).ID
	if cmd.GetAt() == nil {
		cmd.At = timestamppb.New(workflow.Now(ctx))
	}
	wasNew, running := w.snap.GetState() == StateNew, w.running()
	if err := w.apply(ctx, cmd); err != nil {
		return nil, err
	}
	w.applied.Add(ctx)
	if running != 0 && running == w.running() {
		switch {
		case cmd.GetOp() == OpContact && wasNew:
			w.interrupt.SendAsync(&followupv1.CloseSignal{State: "done", By: cmd.GetActor(), Note: "first contact: " + cmd.GetChannel()})
		case cmd.GetOp() == OpDisqualify:
			w.interrupt.SendAsync(&followupv1.CloseSignal{State: "cancelled", By: cmd.GetActor(), Note: "lead disqualified: " + cmd.GetReason()})
		}
	}
	if cmd.GetOp() == OpConvert {
		if err := w.startOpportunity(ctx, cmd.GetOpportunity()); err != nil {
			return nil, err
		}
	}
	return w.snapshot(), nil
}

func (w *leadWF) apply(ctx workflow.Context, cmd *salesv1.LeadCommand) error {
	cmd.LeadId = w.data.GetId()
	var s salesv1.LeadSnapshot
	if err := w.runSales(salesc.ActivityApplyLeadCommand, cmd).Get(ctx, &s); err != nil {
		return err
	}
	w.snap.State, w.snap.FirstContactAt, w.snap.OpportunityId = s.GetState(), s.GetFirstContactAt(), s.GetOpportunityId()
	return nil
}

// startOpportunity starts the converted opportunity's own workflow, which
// outlives this one.
func (w *leadWF) startOpportunity(ctx workflow.Context, o *salesv1.OpportunityData) error {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: wfc.OpportunityWorkflowID(o.GetId()), TaskQueue: wfc.TaskQueue, ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
	})
	f := workflow.ExecuteChildWorkflow(cctx, wfc.WorkflowOpportunity, &salesv1.OpportunityInput{Opportunity: o})
	var exec workflow.Execution
	if err := f.GetChildWorkflowExecution().Get(ctx, &exec); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return err
	}
	return nil
}

func (w *leadWF) event(ctx workflow.Context, kind, summary, actor string, data map[string]string) error {
	return w.eventID(ctx, w.data.GetId()+":"+kind+":"+strconv.Itoa(int(w.seq)), kind, summary, actor, data)
}

func (w *leadWF) eventID(ctx workflow.Context, id, kind, summary, actor string, data map[string]string) error {
	return w.runSales(salesc.ActivityRecordEvent, &salesv1.TimelineEvent{
		Id: id, SubjectType: "lead", SubjectId: w.data.GetId(), Kind: kind, Actor: actor, Summary: summary,
		At: timestamppb.New(workflow.Now(ctx)), DataJson: jsonOf(data),
	}).Get(ctx, nil)
}

func (w *leadWF) snapshot() *salesv1.LeadSnapshot {
	s := proto.Clone(w.snap).(*salesv1.LeadSnapshot)
	if w.tracking && w.fuState != nil {
		f := w.fuState()
		s.FollowUpId, s.DueAt, s.NextDeadline, s.NextAction, s.Level = w.fuID, f.GetDueAt(), f.GetNextAt(), f.GetNextAction(), f.GetLevel()
	}
	return s
}

func isRefusal(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable()
}

func errMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return fmt.Sprint(err)
}

// jsonOf encodes data for a timeline event (map keys in sorted order, so
// the payload is deterministic).
func jsonOf(data map[string]string) string {
	if len(data) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(data)
	return string(b)
}
