package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/idem"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/servicecase"
)

// Workflows is the case workflow as the use cases need it (ports.CaseWorkflows).
type Workflows interface {
	Start(ctx context.Context, c domain.Case) error
	Command(ctx context.Context, c domain.Case, cmd *servicev1.CaseCommand) (*servicev1.CaseSnapshot, error)
	// Query answers the case's live state (SLA targets as of now).
	Query(ctx context.Context, caseID string) (*servicev1.CaseSnapshot, error)
}

// Keyed is a change request's Idempotency-Key with its raw body and where
// it was sent ("POST /v1/cases/{id}/replies").
type Keyed struct {
	Key, Scope string
	Body       []byte
}

// Answer is what a change answers: the case, or — for a request whose
// Idempotency-Key was seen before with the same body — the first answer
// again (Replayed), whatever happened to the case since.
type Answer struct {
	Case     CaseView
	Replayed json.RawMessage
}

// ChangeKeyed is Change for a request that may carry an Idempotency-Key: a
// retry (a double submit, a lost answer) gets the first answer, even when
// the case has moved on since — before its version or state is looked at;
// the key with another body is 409 idempotency_key_reused.
func (a *Cases) ChangeKeyed(ctx context.Context, id string, cmd domain.Command, expected int64, k Keyed) (Answer, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return Answer{}, err
	}
	req := idem.Request{Key: k.Key, Principal: p.Subject, Scope: k.Scope, Body: k.Body}
	if prior, found, err := idem.Lookup(ctx, a.db, req); err != nil || found {
		return Answer{Replayed: prior.Body}, err
	}
	v, err := a.Change(ctx, id, cmd, expected)
	if err != nil {
		return Answer{}, err
	}
	if err := idem.Remember(ctx, a.db, req, http.StatusOK, v); err != nil {
		return Answer{}, err
	}
	return Answer{Case: v}, nil
}

// Change asks for a change of a case the caller works: state, reopen,
// reply, note, assignment or priority. The change is first tried on the
// case as stored (a bad field or a move the case does not allow is refused
// here, nothing sent), then sent to the case's workflow, its only writer,
// whose validator decides against the live state; the answer is the case as
// stored after the change, with its SLA targets as of now. expected, when
// not 0, is the version the caller read (409 when it moved on).
func (a *Cases) Change(ctx context.Context, id string, cmd domain.Command, expected int64) (CaseView, error) {
	p, scope, err := caller(ctx)
	if err != nil {
		return CaseView{}, err
	}
	c, err := a.read(ctx, scope, id)
	if err != nil {
		return CaseView{}, err
	}
	if !scope.Works(c) {
		return CaseView{}, domain.ErrCaseReadOnly
	}
	if err := domain.CheckVersion(c, expected); err != nil {
		return CaseView{}, err
	}
	cmd.Actor = p.Subject
	if cmd.Op == servicecase.OpAutoClose {
		cmd.Op = "" // the workflow's own
	}
	try := cmd
	try.ReopenWindow = 100 * 365 * 24 * time.Hour // the workflow knows the window in force
	if _, _, err := domain.Apply(c, try, a.Now()); err != nil {
		return CaseView{}, err
	}
	snap, err := a.wf.Command(ctx, c, &servicev1.CaseCommand{
		CaseId: c.ID, Op: cmd.Op, Actor: cmd.Actor, ToState: cmd.To, Reason: cmd.Reason, Direction: cmd.Direction, Body: cmd.Body,
		AssigneeId: cmd.AssigneeID, Team: cmd.Team, Priority: cmd.Priority, CustomerRequest: cmd.CustomerRequest,
	})
	if err != nil {
		return CaseView{}, err
	}
	stored, err := a.repo.Get(ctx, id)
	if err != nil {
		return CaseView{}, err
	}
	v := CaseOf(stored)
	v.SLA = slaOfSnapshot(snap)
	return v, nil
}

// slaOf is the SLA targets as the case's rows last recorded them.
func slaOf(rows []adapters.SLARow) []SLAView {
	out := make([]SLAView, 0, len(rows))
	for _, r := range rows {
		out = append(out, SLAView{Target: r.Target, State: r.State, DueAt: utcp(r.DueAt), WarnAt: utcp(r.WarnAt),
			AtRisk:      r.WarnedAt != nil && r.MetAt == nil && r.BreachedAt == nil && r.State == "running",
			RemainingMs: r.RemainingMs, AsOf: utcp(r.UpdatedAt), PausedMs: r.PausedMs, BudgetMs: r.BudgetMs, Business: r.Business,
			Calendar: r.Calendar, MetAt: utcp(r.MetAt), BreachedAt: utcp(r.BreachedAt), FollowUpID: r.FollowUpID})
	}
	return out
}

// slaOfSnapshot is the SLA targets as the workflow answered them.
func slaOfSnapshot(s *servicev1.CaseSnapshot) []SLAView {
	out := make([]SLAView, 0, len(s.GetSla()))
	for _, v := range s.GetSla() {
		out = append(out, SLAView{Target: v.GetTarget(), State: v.GetState(), AtRisk: v.GetAtRisk(), DueAt: tsp(v.GetDueAt()),
			WarnAt: tsp(v.GetWarnAt()), RemainingMs: v.GetRemainingMs(), PausedMs: v.GetPausedMs(), BudgetMs: v.GetBudgetMs(),
			Business: v.GetBusiness(), Calendar: v.GetCalendar(), MetAt: tsp(v.GetMetAt()), BreachedAt: tsp(v.GetBreachedAt()),
			FollowUpID: v.GetFollowUpId()})
	}
	return out
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func tsp(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	u := t.AsTime().UTC()
	return &u
}

// StartPending starts the workflows of cases filed while the workflow engine
// could not be reached (the create's own start failed): cases filed more
// than grace ago whose workflow is not known to run. It returns how many it
// started.
func (a *Cases) StartPending(ctx context.Context, grace time.Duration, batch int) (int, error) {
	cs, err := a.repo.Unstarted(ctx, a.Now().Add(-grace), batch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		if err := a.start(ctx, c); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// start starts the case's workflow and records that it runs.
func (a *Cases) start(ctx context.Context, c domain.Case) error {
	if a.wf == nil {
		return nil
	}
	if err := a.wf.Start(ctx, c); err != nil {
		return err
	}
	return a.repo.MarkStarted(ctx, c.ID, a.Now().UTC())
}
