// Package care holds the CareSweep workflow: care for existing customers.
//
// Per ABC class the care.cadence policy sets the longest gap without a logged
// contact; when a customer's gap runs out its owner gets a care-contact
// follow-up (a FollowUp workflow) that escalates per care.escalation_ladder.
//
// The sweep runs on a schedule and after every ABC reclassification. It first
// reconciles the open care follow-ups with their customers (closing those
// whose class, owner or stage changed, or that a contact answered), then opens
// follow-ups for the customers whose care contact falls due within the
// lookahead. The customer service does the reading and writing in its
// activities, page by page; the workflow keeps the order and the totals.
// Starting a follow-up is idempotent (its id derives from the customer's care
// anchor and epoch), so a retried page or two overlapping sweeps open each
// follow-up once.
//
// The care terms — the care.cadence version in force and the business
// calendars with their assignments — belong to the follow-up engine: before
// the open pass the sweep asks the engine for them once (on its queue,
// "followup") and hands them to every open page, so the customer service
// computes due times without reading the engine's tables.
//
// History grows by about six events per page of 500: a sweep stays far below
// Temporal's history limits up to millions of candidates, so it does not
// continue as new. Customers whose contact is not yet due are never read by
// the open pass (an index range per class), so the pages follow the number of
// care contacts falling due, not the number of customers.
package care

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Defaults of CareSweepInput.
const (
	DefaultLookahead = 2 * time.Hour
	DefaultPageSize  = 500
)

// Classes are swept in this order.
var Classes = []string{"A", "B", "C"}

// Sweep is the CareSweep workflow.
func Sweep(ctx workflow.Context, in *followupv1.CareSweepInput) (*followupv1.CareSweepResult, error) {
	log := workflow.GetLogger(ctx)
	lookahead := in.GetLookahead().AsDuration()
	if lookahead <= 0 {
		lookahead = DefaultLookahead
	}
	size := in.GetPageSize()
	if size <= 0 {
		size = DefaultPageSize
	}
	ctx = wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, Timeout: 5 * time.Minute, NonRetryable: []string{"invalid"}})
	at := workflow.Now(ctx)
	res := &followupv1.CareSweepResult{StartedAt: timestamppb.New(at)}

	after := ""
	for {
		var page followupv1.CareReconcilePageResult
		if err := workflow.ExecuteActivity(ctx, customerc.ActivityCareReconcilePage, &followupv1.CareReconcilePageInput{
			AfterId: after, Limit: size,
		}).Get(ctx, &page); err != nil {
			return nil, err
		}
		res.Pages++
		res.Checked += page.GetChecked()
		res.Cancelled += page.GetCancelled()
		res.Completed += page.GetCompleted()
		if after = page.GetNextAfterId(); after == "" {
			break
		}
	}
	var terms *followupv1.CareTerms // nil in executions before the change: the customer service refuses their open pages
	if workflow.GetVersion(ctx, engineTermsChange, workflow.DefaultVersion, 1) == 1 {
		var err error
		if terms, err = engineTerms(ctx, at); err != nil {
			return nil, err
		}
	}
	for _, class := range Classes {
		var cursor *followupv1.CareCursor
		for {
			var page followupv1.CareOpenPageResult
			if err := workflow.ExecuteActivity(ctx, customerc.ActivityCareOpenPage, &followupv1.CareOpenPageInput{
				ValueClass: class, At: timestamppb.New(at), Lookahead: durationpb.New(lookahead), After: cursor, Limit: size,
				Terms: terms,
			}).Get(ctx, &page); err != nil {
				return nil, err
			}
			res.Pages++
			res.Scanned += page.GetScanned()
			res.Opened += page.GetOpened()
			res.NotYetDue += page.GetNotYetDue()
			if cursor = page.GetNext(); cursor == nil {
				break
			}
		}
	}
	res.FinishedAt = timestamppb.New(workflow.Now(ctx))
	log.Info("care sweep finished", "reason", in.GetReason(), "checked", res.Checked, "cancelled", res.Cancelled,
		"completed", res.Completed, "scanned", res.Scanned, "opened", res.Opened, "pages", res.Pages)
	return res, nil
}

// engineTermsChange is the workflow.GetVersion change id of asking the
// follow-up engine for the care terms (the care.cadence version and the
// business calendars with their assignments) once per sweep, before the open
// pass, and passing them to every CareOpenPage. Sweeps started before it pass
// none; the customer service no longer holds the terms and refuses those
// pages (care_terms_missing), and the next scheduled sweep opens them.
const engineTermsChange = "care-sweep-engine-terms"

// engineTerms asks the follow-up engine, on its own queue, for the care terms
// in force at the sweep's instant at.
func engineTerms(ctx workflow.Context, at time.Time) (*followupv1.CareTerms, error) {
	ctx = wfx.Activities(ctx, wfx.Call{Queue: followupc.TaskQueue, Timeout: time.Minute, NonRetryable: []string{"invalid", "not_found"}})
	cadence := workflow.ExecuteActivity(ctx, followupc.ActivityResolvePolicies, &followupv1.ResolvePoliciesInput{
		Names: []string{policy.CareCadence}, At: timestamppb.New(at),
	})
	calendars := workflow.ExecuteActivity(ctx, followupc.ActivityCalendarSet, &followupv1.CalendarSetInput{At: timestamppb.New(at)})
	var res followupv1.ResolvePoliciesResult
	if err := cadence.Get(ctx, &res); err != nil {
		return nil, err
	}
	var set followupv1.CalendarSetResult
	if err := calendars.Get(ctx, &set); err != nil {
		return nil, err
	}
	terms := &followupv1.CareTerms{Calendars: set.GetCalendars(), Assignments: set.GetAssignments()}
	for _, p := range res.GetPolicies() {
		if p.GetName() == policy.CareCadence {
			terms.Cadence = p
		}
	}
	if terms.Cadence == nil {
		return nil, temporal.NewNonRetryableApplicationError("the follow-up engine resolved no version of "+policy.CareCadence, ErrTermsUnresolved, nil)
	}
	// The calendar set holds every current calendar; one the cadence names
	// that it lacks (a set read a moment apart) is added from the resolution.
	for _, c := range res.GetCalendars() {
		if !slices.ContainsFunc(terms.Calendars, func(have *followupv1.ResolvedCalendar) bool { return have.GetName() == c.GetName() }) {
			terms.Calendars = append(terms.Calendars, c)
		}
	}
	return terms, nil
}

// ErrTermsUnresolved is the error type of a sweep the follow-up engine
// answered without a care.cadence version (a bug: it ships a default).
const ErrTermsUnresolved = "care_terms_unresolved"
