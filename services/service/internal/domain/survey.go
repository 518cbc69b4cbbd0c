package domain

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Satisfaction surveys (docs/satisfaction.md). When a case closes, and the
// survey delay (policy service.survey_delay) has passed, the case gets at
// most one survey — or a recorded reason why not (Decide):
//
//   - not when the customer asked for the close themselves: they told us
//     already that they are done;
//   - not for a follow-on case of a case that was surveyed: the customer is
//     asked once per matter, and a reopened case closes only once, so each
//     case is asked at most once by construction (one survey per case);
//   - only for the configured share of cases (Sampled: a fixed function of
//     the case id, so a retry decides the same);
//   - with the recommend question (NPS) only when the customer was not asked
//     it within the NPS period (policy service.nps_period).
//
// A survey is a one-time link without login: an unguessable token of which
// only the hash is stored (survey_token.go), valid until it expires, answered
// once (AnswerSurvey). A score below the recovery threshold opens a recovery
// call for the case's team (NeedsRecovery).

// Why a closed case gets no survey.
const (
	SkipClosedByCustomer = "closed_by_customer"
	SkipFollowOnSurveyed = "follow_on_surveyed"
	SkipNotSampled       = "not_sampled"
)

// How a survey reaches the customer: by email to the case's contact, or as a
// link on the case's timeline that staff pass on (no contact email, no mail
// relay, or an email that could not be delivered).
const (
	DeliveryEmail    = "email"
	DeliveryTimeline = "timeline"
)

// Delivery states of a survey.
const (
	DeliveryPending  = "pending"  // the email is being sent
	DeliverySent     = "sent"     // the relay took the email
	DeliveryFailed   = "failed"   // the email could not be delivered: the link is on the timeline instead
	DeliveryRecorded = "recorded" // the link is on the timeline (no email was tried)
)

// States of a recovery call after a low score.
const (
	RecoveryPending = "pending" // decided, its follow-up not started yet
	RecoveryOpened  = "opened"  // its follow-up is started
)

// Languages a survey speaks. "" is unknown: emails are bilingual and pages
// follow the browser.
const (
	LangEnglish = "en"
	LangChinese = "zh-Hans"
)

// Scales and limits of an answer.
const (
	MinCSAT, MaxCSAT = 1, 5
	MinNPS, MaxNPS   = 0, 10
	MaxComment       = 2000 // characters
)

// SurveyActor is who issues surveys on the timeline; CustomerActor who
// answers them.
const (
	SurveyActor   = "system:survey"
	CustomerActor = "customer"
)

// Survey errors. The public endpoints answer them to whoever holds a link,
// so they say nothing about the case.
var (
	ErrSurveyNotFound = apperr.NotFound("survey_not_found", "no such survey: the link is wrong or incomplete")
	ErrSurveyAnswered = apperr.Conflict("survey_already_answered", "this survey was already answered, and an answer cannot be changed: thank you")
	// ErrSurveyExpired is 410 Gone on the public endpoints (ports).
	ErrSurveyExpired = apperr.Conflict("survey_expired", "this survey link has expired")
	ErrCaseNotClosed = apperr.Rule("case_not_closed", "only a closed case is surveyed")
)

// Closed is what a survey needs to know of a case.
type Closed struct {
	CaseID, CustomerID, Team, Priority, Type, Subject string
	State                                             string
	AssigneeID, CreatedBy                             string
	FollowOnOf                                        string
	ContactEmail, Language                            string
	ClosedByCustomer                                  bool
	ClosedAt                                          *time.Time
}

// SurveyPolicy is the surveys' configuration and policy values.
type SurveyPolicy struct {
	// SampleShare of closed cases surveyed, 0 to 1.
	SampleShare float64
	// TokenTTL is how long a link is valid after it is sent.
	TokenTTL time.Duration
	// NPSPeriod: the recommend question at most once per customer in it
	// (service.nps_period).
	NPSPeriod time.Duration
	// CommentRequiredBelow: a CSAT below it needs a comment (0: never).
	CommentRequiredBelow int
	// RecoveryBelow: a CSAT below it opens a recovery call (0: never).
	RecoveryBelow int
}

// Survey is one case's satisfaction survey.
type Survey struct {
	ID, CaseID, CustomerID, Team, Priority, Type string
	Language                                     string
	// TokenHash is HashToken of the link's token; the token itself is
	// stored nowhere.
	TokenHash               string
	Delivery, DeliveryState string
	DeliveryAttempts        int
	DeliveryError           string
	AsksNPS                 bool
	ClosedAt, SentAt        time.Time
	ExpiresAt               time.Time
	DeliveredAt, AnsweredAt *time.Time
	CSAT, NPS               *int
	Comment                 string
	RecoveryState           string
	RecoveryFollowUpID      string
	RecoveryOpenedAt        *time.Time
}

// Facts are what deciding a case's survey takes, read in one transaction.
type Facts struct {
	Case Closed
	// PreviousSurveyed: the case it follows on from got a survey.
	PreviousSurveyed bool
	// NPSAskedAt: when the customer was last asked the recommend question.
	NPSAskedAt *time.Time
}

// Decide says whether the closed case gets a survey: the survey to send
// (id and token hash as given; mailable: an email can be sent to the case's
// contact) or the reason it gets none. A case that is not closed is refused.
func Decide(f Facts, p SurveyPolicy, id, tokenHash string, mailable bool, now time.Time) (*Survey, string, error) {
	c := f.Case
	if c.State != StateClosed || c.ClosedAt == nil {
		return nil, "", ErrCaseNotClosed
	}
	switch {
	case c.ClosedByCustomer:
		return nil, SkipClosedByCustomer, nil
	case c.FollowOnOf != "" && f.PreviousSurveyed:
		return nil, SkipFollowOnSurveyed, nil
	case !Sampled(c.CaseID, p.SampleShare):
		return nil, SkipNotSampled, nil
	}
	at := instant(now)
	s := &Survey{
		ID: id, CaseID: c.CaseID, CustomerID: c.CustomerID, Team: c.Team, Priority: c.Priority, Type: c.Type,
		Language: surveyLanguage(c.Language), TokenHash: tokenHash, Delivery: DeliveryTimeline, DeliveryState: DeliveryRecorded,
		AsksNPS:  p.NPSPeriod > 0 && (f.NPSAskedAt == nil || !f.NPSAskedAt.After(at.Add(-p.NPSPeriod))),
		ClosedAt: instant(*c.ClosedAt), SentAt: at, ExpiresAt: at.Add(p.TokenTTL),
	}
	if mailable && ValidEmail(c.ContactEmail) {
		s.Delivery, s.DeliveryState, s.DeliveryAttempts = DeliveryEmail, DeliveryPending, 1
	}
	return s, "", nil
}

// Sampled reports whether the case is in the surveyed share: a fixed
// function of its id (the first 64 bits of its SHA-256, as a fraction of
// 2^64), so that every decision about one case agrees, and the same share of
// cases of every team and type is surveyed.
func Sampled(caseID string, share float64) bool {
	switch {
	case share >= 1:
		return true
	case share <= 0:
		return false
	}
	h := sha256.Sum256([]byte("survey-sample:" + caseID))
	return float64(binary.BigEndian.Uint64(h[:8]))/(1<<64) < share
}

func surveyLanguage(l string) string {
	if l == LangEnglish || l == LangChinese {
		return l
	}
	return ""
}

// ValidEmail is a plausible address to send a survey to: one address,
// something@domain, no spaces or angle brackets.
func ValidEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return len(s) <= 254 && at > 0 && at < len(s)-1 && strings.Contains(s[at:], ".") &&
		!strings.ContainsAny(s, " \t\r\n<>,;\"") && utf8.ValidString(s)
}

// MaskEmail shows enough of an address for staff to recognise it:
// w***@example.com.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "***" + s[at:]
}

// State is the survey's state at now: answered, expired or open.
func (s Survey) State(now time.Time) string {
	switch {
	case s.AnsweredAt != nil:
		return "answered"
	case !now.Before(s.ExpiresAt):
		return "expired"
	}
	return "open"
}

// CheckOpen refuses a survey that was answered (409) or has expired (410).
func (s Survey) CheckOpen(now time.Time) error {
	switch s.State(now) {
	case "answered":
		return ErrSurveyAnswered
	case "expired":
		return ErrSurveyExpired
	}
	return nil
}

// Answer is what the customer sends: CSAT 1–5 (required), NPS 0–10 (only
// when asked, and optional then), a comment (required below the policy's
// threshold).
type Answer struct {
	CSAT    *int
	NPS     *int
	Comment string
}

// AnswerSurvey records a on s at now. Every bad field is reported at once
// (422); an answered or expired survey is refused first.
func AnswerSurvey(s Survey, a Answer, p SurveyPolicy, now time.Time) (Survey, error) {
	if err := s.CheckOpen(now); err != nil {
		return s, err
	}
	var v apperr.Validation
	if v.Check(a.CSAT != nil, "csat", "required", "how satisfied you are, from 1 to 5") {
		v.Check(*a.CSAT >= MinCSAT && *a.CSAT <= MaxCSAT, "csat", "out_of_range", "a whole number from 1 to 5")
	}
	if a.NPS != nil {
		if v.Check(s.AsksNPS, "nps", "not_asked", "this survey does not ask the recommend question") {
			v.Check(*a.NPS >= MinNPS && *a.NPS <= MaxNPS, "nps", "out_of_range", "a whole number from 0 to 10")
		}
	}
	comment := strings.TrimSpace(a.Comment)
	if v.Check(utf8.ValidString(comment) && !strings.ContainsRune(comment, 0), "comment", "invalid", "must be valid text") {
		v.Check(utf8.RuneCountInString(comment) <= MaxComment, "comment", "too_long", "at most "+strconv.Itoa(MaxComment)+" characters")
	}
	if a.CSAT != nil && *a.CSAT < p.CommentRequiredBelow {
		v.Check(comment != "", "comment", "required", "please tell us what went wrong: a comment is needed for a score below "+strconv.Itoa(p.CommentRequiredBelow))
	}
	if err := v.Err(); err != nil {
		return s, err
	}
	at := instant(now)
	csat := *a.CSAT
	s.AnsweredAt, s.CSAT, s.Comment = &at, &csat, comment
	if a.NPS != nil {
		nps := *a.NPS
		s.NPS = &nps
	}
	if NeedsRecovery(s, p) {
		s.RecoveryState = RecoveryPending
	}
	return s, nil
}

// NeedsRecovery reports whether the answer is low enough for a recovery
// call: a CSAT below the policy's threshold.
func NeedsRecovery(s Survey, p SurveyPolicy) bool {
	return s.CSAT != nil && *s.CSAT < p.RecoveryBelow
}

// SentEntry is the timeline entry of a survey going out. An email is public
// (the customer was written to; body: the address, masked); a link for staff
// to pass on is internal (body: the link — whoever reads it can answer).
func SentEntry(s Survey, email, link string, at time.Time) Entry {
	e := Entry{CaseID: s.CaseID, Kind: KindSurveySent, Actor: SurveyActor, At: instant(at), Visibility: Public, To: s.Delivery}
	if s.Delivery == DeliveryEmail && s.DeliveryState != DeliveryFailed {
		e.Body = MaskEmail(email)
		return e
	}
	e.To, e.Visibility, e.Body = DeliveryTimeline, Internal, link
	if s.DeliveryState == DeliveryFailed {
		e.Reason = "the email to " + MaskEmail(email) + " could not be delivered: pass the link on"
	} else {
		e.Reason = "no email was sent: pass the link on"
	}
	return e
}

// AnsweredEntry is the timeline entry of the answer: to is the CSAT, from
// the NPS ("" when not given), body the comment.
func AnsweredEntry(s Survey) Entry {
	e := Entry{CaseID: s.CaseID, Kind: KindSurveyAnswered, Actor: CustomerActor, At: *s.AnsweredAt, Visibility: Public, Body: s.Comment}
	if s.CSAT != nil {
		e.To = strconv.Itoa(*s.CSAT)
	}
	if s.NPS != nil {
		e.From = strconv.Itoa(*s.NPS)
	}
	return e
}
