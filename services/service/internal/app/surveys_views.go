package app

import (
	"context"
	"math"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// PublicSurvey is a survey as its link shows it to the customer: nothing of
// the case but its subject and when it closed.
type PublicSurvey struct {
	// State: open or answered (an expired survey is 410).
	State string `json:"state"`
	// Language: en, zh-Hans, or "" (the customer's browser decides).
	Language    string    `json:"language"`
	CaseSubject string    `json:"case_subject"`
	ClosedAt    time.Time `json:"closed_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// AsksNPS: the survey asks the recommend question (0–10, optional).
	AsksNPS bool `json:"asks_nps"`
	// CommentRequiredBelow: a CSAT below it needs a comment (0: never).
	CommentRequiredBelow int        `json:"comment_required_below"`
	AnsweredAt           *time.Time `json:"answered_at,omitempty"`
	CSAT                 *int       `json:"csat,omitempty"`
	NPS                  *int       `json:"nps,omitempty"`
	Comment              string     `json:"comment,omitempty"`
}

// PublicOf is the public view of s.
func PublicOf(s domain.Survey, subject string, p domain.SurveyPolicy, now time.Time) PublicSurvey {
	return PublicSurvey{State: s.State(now), Language: s.Language, CaseSubject: subject, ClosedAt: s.ClosedAt, ExpiresAt: s.ExpiresAt,
		AsksNPS: s.AsksNPS, CommentRequiredBelow: p.CommentRequiredBelow, AnsweredAt: s.AnsweredAt, CSAT: s.CSAT, NPS: s.NPS, Comment: s.Comment}
}

// CaseSurveyView is a case's survey as staff see it: never its link.
type CaseSurveyView struct {
	CaseID string `json:"case_id"`
	// State: not_closed (the case is still being worked), pending (closed,
	// the survey not sent yet: the survey delay runs), skipped (see
	// skip_reason), open (sent, awaiting the answer), answered, or expired.
	State string `json:"state"`
	// SkipReason: closed_by_customer, follow_on_surveyed or not_sampled.
	SkipReason string `json:"skip_reason,omitempty"`
	// Delivery: email or timeline (the link is on the case's timeline for
	// staff to pass on). DeliveryState: pending, sent, failed (the link went
	// on the timeline instead) or recorded.
	Delivery      string     `json:"delivery,omitempty"`
	DeliveryState string     `json:"delivery_state,omitempty"`
	Language      string     `json:"language,omitempty"`
	AsksNPS       bool       `json:"asks_nps"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	CSAT          *int       `json:"csat,omitempty"`
	NPS           *int       `json:"nps,omitempty"`
	Comment       string     `json:"comment,omitempty"`
	// Recovery is the recovery call a low score opened.
	Recovery *RecoveryView `json:"recovery,omitempty"`
}

// RecoveryView is a recovery call: its follow-up in the follow-up engine.
type RecoveryView struct {
	// State: pending (to be started) or opened.
	State      string     `json:"state"`
	FollowUpID string     `json:"follow_up_id"`
	OpenedAt   *time.Time `json:"opened_at,omitempty"`
}

// CaseSurvey returns the survey of a case the caller sees (404 otherwise).
func (a *Surveys) CaseSurvey(ctx context.Context, caseID string) (CaseSurveyView, error) {
	_, scope, err := caller(ctx)
	if err != nil {
		return CaseSurveyView{}, err
	}
	if !domain.ValidRef(caseID) {
		return CaseSurveyView{}, domain.ErrCaseNotFound
	}
	c, err := a.cases.Get(ctx, caseID)
	if err != nil {
		return CaseSurveyView{}, err
	}
	if err := scope.Check(c, false); err != nil {
		return CaseSurveyView{}, err
	}
	d, err := a.repo.ForCase(ctx, c.ID)
	if err != nil {
		return CaseSurveyView{}, err
	}
	out := CaseSurveyView{CaseID: c.ID}
	switch {
	case d.Skip != "":
		out.State, out.SkipReason = "skipped", d.Skip
	case d.Survey != nil:
		s := d.Survey
		sent, expires := s.SentAt, s.ExpiresAt
		out = CaseSurveyView{CaseID: c.ID, State: s.State(a.Now()), Delivery: s.Delivery, DeliveryState: s.DeliveryState, Language: s.Language,
			AsksNPS: s.AsksNPS, SentAt: &sent, DeliveredAt: s.DeliveredAt, ExpiresAt: &expires, AnsweredAt: s.AnsweredAt,
			CSAT: s.CSAT, NPS: s.NPS, Comment: s.Comment}
		if s.RecoveryState != "" {
			out.Recovery = &RecoveryView{State: s.RecoveryState, FollowUpID: s.RecoveryFollowUpID, OpenedAt: s.RecoveryOpenedAt}
		}
	case c.State == domain.StateClosed:
		out.State = "pending"
	default:
		out.State = "not_closed"
	}
	return out, nil
}

// SatisfactionView is a customer's satisfaction: its summary and loyalty
// level (the customer's, over all its cases), and the answers on the cases
// you see, newest first.
type SatisfactionView struct {
	CustomerID string              `json:"customer_id"`
	Summary    SatisfactionSummary `json:"summary"`
	Loyalty    LoyaltyView         `json:"loyalty"`
	Items      []AnswerView        `json:"items"`
	// NextCursor, when not empty, is the cursor of the next page of items.
	NextCursor string `json:"next_cursor,omitempty"`
}

// SatisfactionSummary counts every survey of the customer.
type SatisfactionSummary struct {
	Sent     int `json:"sent"`
	Answered int `json:"answered"`
	// ResponseRate is answered / sent (null when none was sent).
	ResponseRate *float64 `json:"response_rate"`
	// CSATAverage of every answer (null: none).
	CSATAverage *float64 `json:"csat_average"`
	NPSAnswers  int      `json:"nps_answers"`
	// NPSScore is the share of promoters (9–10) minus the share of
	// detractors (0–6) among NPS answers, −100 to 100 (null: none).
	NPSScore *float64 `json:"nps_score"`
}

// LoyaltyView is the customer's loyalty level with the inputs that
// produced it (domain.LoyaltyOf; docs/satisfaction.md).
type LoyaltyView struct {
	// Level: unknown, at_risk, neutral, loyal or advocate.
	Level string `json:"level"`
	// Rule names the condition that decided the level.
	Rule   string        `json:"rule"`
	Inputs LoyaltyInputs `json:"inputs"`
}

// LoyaltyInputs are the loyalty rule's inputs.
type LoyaltyInputs struct {
	// CSATAverage of the CSATCount most recent answers of the last 12 months.
	CSATAverage *float64 `json:"csat_average"`
	CSATCount   int      `json:"csat_count"`
	LatestCSAT  *int     `json:"latest_csat"`
	// LatestNPS is the latest NPS answer of the last 12 months.
	LatestNPS *int `json:"latest_nps"`
	// ActiveMonths: calendar months (UTC) of the last 24 with a case filed.
	ActiveMonths int `json:"active_months"`
	// TenureMonths: whole months since the first case (Since).
	TenureMonths int        `json:"tenure_months"`
	Since        *time.Time `json:"since"`
}

// AnswerView is one answered survey.
type AnswerView struct {
	SurveyID    string    `json:"survey_id"`
	CaseID      string    `json:"case_id"`
	CaseSubject string    `json:"case_subject"`
	Team        string    `json:"team"`
	Priority    string    `json:"priority"`
	Type        string    `json:"type"`
	SentAt      time.Time `json:"sent_at"`
	AnsweredAt  time.Time `json:"answered_at"`
	CSAT        int       `json:"csat"`
	NPS         *int      `json:"nps"`
	Comment     string    `json:"comment"`
}

// Satisfaction returns a customer's satisfaction to a caller who sees at
// least one of its cases; to anyone else it is empty, as the customer's case
// list is (level unknown, nothing counted).
func (a *Surveys) Satisfaction(ctx context.Context, customerID string, after *adapters.Cursor, limit int, encode func(any) string) (SatisfactionView, error) {
	_, scope, err := caller(ctx)
	if err != nil {
		return SatisfactionView{}, err
	}
	if customerID == "" || !domain.ValidRef(customerID) {
		e := apperr.Invalid("invalid_customer_id", "customerId is an id of at most 36 characters")
		e.Fields = []apperr.FieldError{{Field: "customerId", Code: "invalid", Message: "an id of at most 36 characters"}}
		return SatisfactionView{}, e
	}
	out := SatisfactionView{CustomerID: customerID, Items: []AnswerView{},
		Loyalty: LoyaltyView{Level: domain.LoyaltyUnknown, Rule: "none of the customer's cases is yours to see"}}
	sees, err := a.repo.SeesCustomer(ctx, scope, customerID)
	if err != nil || !sees {
		return out, err
	}
	all, err := a.repo.CustomerSurveys(ctx, customerID)
	if err != nil {
		return SatisfactionView{}, err
	}
	now := a.Now()
	facts, err := a.repo.LoyaltyFacts(ctx, customerID, all, now)
	if err != nil {
		return SatisfactionView{}, err
	}
	l := domain.LoyaltyOf(facts, now)
	out.Summary = summarize(all)
	out.Loyalty = LoyaltyView{Level: l.Level, Rule: l.Rule, Inputs: LoyaltyInputs{CSATAverage: l.CSATAverage, CSATCount: l.CSATCount,
		LatestCSAT: l.LatestCSAT, LatestNPS: l.NPS, ActiveMonths: l.ActiveMonths, TenureMonths: l.TenureMonths, Since: l.Since}}
	page, err := a.repo.History(ctx, scope, customerID, after, limit)
	if err != nil {
		return SatisfactionView{}, err
	}
	for _, it := range page.Items {
		s := it.Survey
		out.Items = append(out.Items, AnswerView{SurveyID: s.ID, CaseID: s.CaseID, CaseSubject: it.Subject, Team: s.Team, Priority: s.Priority,
			Type: s.Type, SentAt: s.SentAt, AnsweredAt: *s.AnsweredAt, CSAT: *s.CSAT, NPS: s.NPS, Comment: s.Comment})
	}
	if page.Next != nil {
		out.NextCursor = encode(page.Next)
	}
	return out, nil
}

func summarize(all []domain.Survey) SatisfactionSummary {
	var out SatisfactionSummary
	csat, promoters, detractors := 0, 0, 0
	for _, s := range all {
		out.Sent++
		if s.AnsweredAt == nil || s.CSAT == nil {
			continue
		}
		out.Answered++
		csat += *s.CSAT
		if s.NPS != nil {
			out.NPSAnswers++
			switch {
			case *s.NPS >= 9:
				promoters++
			case *s.NPS <= 6:
				detractors++
			}
		}
	}
	if out.Sent > 0 {
		out.ResponseRate = round2(float64(out.Answered) / float64(out.Sent))
	}
	if out.Answered > 0 {
		out.CSATAverage = round2(float64(csat) / float64(out.Answered))
	}
	if out.NPSAnswers > 0 {
		out.NPSScore = round2(100 * float64(promoters-detractors) / float64(out.NPSAnswers))
	}
	return out
}

func round2(f float64) *float64 {
	r := math.Round(f*100) / 100
	return &r
}
