// Package followuptest fakes the follow-up engine's activities — the customer
// service's policy resolution and follow-up records — for time-skipping tests
// of workflows that embed followup.Track (the lead, opportunity and visit
// workflows). Policy resolution answers with the shipped defaults (version 1,
// in force since ever) and the China 2026 business calendar as the assigned
// calendar; tests add versions with PutPolicy. Every follow-up activity is
// recorded with the test environment's clock.
package followuptest

import (
	"context"
	"encoding/json"
	"errors"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/proto"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Shanghai is Asia/Shanghai, the China 2026 calendar's zone.
var Shanghai = func() *time.Location {
	l, err := policy.Location("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// CST is a wall-clock instant of 2026 in Asia/Shanghai.
func CST(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, Shanghai)
}

// Calendar is the name of the calendar the fake assigns.
const Calendar = "cn-mainland"

// Event is one recorded follow-up activity.
type Event struct {
	Name string
	At   time.Time
	Msg  proto.Message
}

type version struct {
	n    int64
	from time.Time
	raw  []byte
}

// Engine is the fake; see the package documentation.
type Engine struct {
	env      *testsuite.TestWorkflowEnvironment
	mu       sync.Mutex
	events   []Event
	policies map[string][]version
}

// Register registers the fake activities on env.
func Register(env *testsuite.TestWorkflowEnvironment) *Engine {
	e := &Engine{env: env, policies: map[string][]version{}}
	for _, d := range policy.Catalogue() {
		e.PutPolicy(d.Name, 1, time.Time{}, d.Default)
	}
	calRaw, err := json.Marshal(calendar.China2026(Shanghai))
	if err != nil {
		panic(err)
	}
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		res := &followupv1.ResolvePoliciesResult{AssignedCalendar: Calendar,
			Calendars: []*followupv1.ResolvedCalendar{{Name: Calendar, Version: 1, SpecJson: calRaw}}}
		at := in.GetAt().AsTime()
		for _, name := range in.GetNames() {
			var best *version
			for i, v := range e.policies[name] {
				if !v.from.After(at) && (best == nil || v.n > best.n) {
					best = &e.policies[name][i]
				}
			}
			if best == nil {
				return nil, temporal.NewNonRetryableApplicationError("no version of "+name, "not_found", nil)
			}
			res.Policies = append(res.Policies, &followupv1.ResolvedPolicy{Name: name, Version: best.n, ValueJson: best.raw})
		}
		if o := in.GetOpen(); o != nil {
			// Opened as the follow-up service does: the record the workflow's
			// own plan gives, noted as an OpenFollowUp.
			if rec, ok := openedWith(o, res); ok {
				e.noteLocked(followupc.ActivityOpenFollowUp, rec)
			}
		}
		return res, nil
	}, activity.RegisterOptions{Name: followupc.ActivityResolvePolicies})
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.FollowUpRecord) error {
		e.note(followupc.ActivityOpenFollowUp, in)
		return nil
	}, activity.RegisterOptions{Name: followupc.ActivityOpenFollowUp})
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.UpdateDeadlineInput) error {
		e.note(followupc.ActivityUpdateFollowUpDeadline, in)
		return nil
	}, activity.RegisterOptions{Name: followupc.ActivityUpdateFollowUpDeadline})
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.RecordStepInput) error {
		e.note(followupc.ActivityRecordFollowUpStep, in)
		return nil
	}, activity.RegisterOptions{Name: followupc.ActivityRecordFollowUpStep})
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.CloseFollowUpInput) error {
		e.note(followupc.ActivityCloseFollowUp, in)
		return nil
	}, activity.RegisterOptions{Name: followupc.ActivityCloseFollowUp})
	return e
}

// PutPolicy adds version n of a policy, in force from from.
func (e *Engine) PutPolicy(name string, n int64, from time.Time, v policy.Value) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.policies[name] = append(e.policies[name], version{n: n, from: from, raw: v.MustJSON()})
}

func (e *Engine) note(name string, m proto.Message) {
	now := e.env.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, Event{Name: name, At: now, Msg: m})
}

// Events returns the recorded calls of one activity, in order.
func (e *Engine) Events(name string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.events {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

// Steps lists the escalation steps recorded so far as "action@Jan 2 15:04"
// (Shanghai time).
func (e *Engine) Steps() []string {
	var out []string
	for _, s := range e.Events(followupc.ActivityRecordFollowUpStep) {
		out = append(out, s.Msg.(*followupv1.RecordStepInput).GetAction()+"@"+s.At.In(Shanghai).Format("Jan 2 15:04"))
	}
	return out
}

// UpdateCallback checks the outcome of an update sent in a time-skipping
// test (env.UpdateWorkflow): the refusal's code (the application error's
// type) must be Want, "" for an update that is accepted and completes.
type UpdateCallback struct {
	T          testing.TB
	Want, What string
}

// Accept is called when the update's validator accepts it.
func (u *UpdateCallback) Accept() {}

// Reject is called when the validator refuses it.
func (u *UpdateCallback) Reject(e error) { u.check(e) }

// Complete is called when the handler is done.
func (u *UpdateCallback) Complete(_ any, e error) { u.check(e) }

func (u *UpdateCallback) check(err error) {
	u.T.Helper()
	code := ""
	if err != nil {
		code = err.Error()
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			code = app.Type()
		}
	}
	if code != u.Want {
		u.T.Errorf("%s: got %q, want %q", u.What, code, u.Want)
	}
}

func (e *Engine) noteLocked(name string, m proto.Message) {
	e.events = append(e.events, Event{Name: name, At: e.env.Now(), Msg: m})
}

// openedWith is the record the follow-up service stores for o with res, as
// its ResolvePolicies activity does when asked to open; false when the
// resolution cannot time the follow-up (nothing is opened).
func openedWith(o *followupv1.FollowUpOpening, res *followupv1.ResolvePoliciesResult) (*followupv1.FollowUpRecord, bool) {
	kind, ok := policy.LookupKind(o.GetSpec().GetKind())
	if !ok {
		return nil, false
	}
	p, err := followup.NewPlan(followup.PlanInputOf(kind, o.GetSpec()), res)
	if err != nil {
		return nil, false
	}
	return p.Record(o.GetSpec(), o.GetWorkflowId(), o.GetRunId()), true
}
