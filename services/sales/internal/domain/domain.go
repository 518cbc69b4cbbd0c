// Package domain holds the sales rules: what a valid lead, territory and
// opportunity is, which lead states and funnel stages may follow which, and
// the errors the API answers with. It has no storage and no Temporal.
package domain

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/lead"
)

// Limits on text fields.
const (
	MaxShort = 100
	MaxName  = 200
	MaxText  = 4000
	// MaxAmountMinor is the largest opportunity amount, in minor units
	// (10 trillion in the currency's major unit).
	MaxAmountMinor = int64(1e15)
	// MaxCapacity is the largest number of open leads one rep may hold.
	MaxCapacity = 10000
	// MaxLeadAge is how far in the past a lead's received_at may be.
	MaxLeadAge = 30 * 24 * time.Hour
)

// Lead states. A lead starts new (assigned or in the pool), becomes contacted
// at first contact, then qualified; it ends disqualified or converted.
const (
	LeadNew          = lead.StateNew
	LeadContacted    = lead.StateContacted
	LeadQualified    = lead.StateQualified
	LeadDisqualified = lead.StateDisqualified
	LeadConverted    = lead.StateConverted
)

// LeadStates lists every lead state in order.
var LeadStates = []string{LeadNew, LeadContacted, LeadQualified, LeadDisqualified, LeadConverted}

// LeadOpen reports whether a lead in state s is still being worked.
func LeadOpen(s string) bool { return lead.Open(s) }

// Lead commands (the ops of the lead workflow's lead-command update).
const (
	OpContact    = lead.OpContact
	OpQualify    = lead.OpQualify
	OpDisqualify = lead.OpDisqualify
	OpConvert    = lead.OpConvert
)

// CheckLeadCommand says whether op may be applied to a lead in state; the
// rule is the lead workflow's own (workflows/lead), so the API refuses
// exactly what the workflow's update validator would.
func CheckLeadCommand(state, op string) error { return refusal(lead.CheckCommand(state, op), "op") }

// refusal turns a workflow rule's refusal into the API's error.
func refusal(r *lead.Refusal, field string) error {
	if r == nil {
		return nil
	}
	if e, ok := ErrorByCode(r.Code, r.Message); ok {
		return e
	}
	return fieldErr(field, r.Code, r.Message)
}

// Sources and contact channels.
var (
	Sources  = []string{"web", "phone", "email", "referral", "event", "campaign", "partner", "other"}
	Channels = []string{"call", "visit", "email", "meeting", "message", "other"}
)

// Territory assignment strategies.
const (
	RoundRobin  = "round_robin"
	LeastLoaded = "least_loaded"
)

// Opportunity funnel: stages 1–4, then won or lost.
const (
	StageSpotted  = 1 // opportunity spotted and being watched
	StageIntent   = 2 // customer intends to start a project
	StageProject  = 3 // project started, bidding or proposal review
	StageSecured  = 4 // essentially secured
	OppOpen       = "open"
	OppWon        = "won"
	OppLost       = "lost"
	OpStage       = "stage"
	OpWon         = "won"
	OpLost        = "lost"
	FirstStage    = StageSpotted
	LastStage     = StageSecured
	wonStageIndex = 5
)

// StageNames names the funnel stages for people.
var StageNames = map[int]string{
	StageSpotted: "spotted and watched",
	StageIntent:  "customer intends to start a project",
	StageProject: "project started, bidding or proposal review",
	StageSecured: "essentially secured",
}

// DefaultProbability is the win probability (percent) of a stage when the
// opportunity does not set its own.
var DefaultProbability = map[int]int{StageSpotted: 10, StageIntent: 30, StageProject: 60, StageSecured: 90}

// WonStage is the funnel position of a won opportunity (after stage 4), used
// by conversion figures.
const WonStage = wonStageIndex

// CheckStageChange says whether an open opportunity in stage from may move to
// stage to (the Opportunity workflow's rule). Forward moves may skip stages;
// going back needs the permission to (mayGoBack) and a reason.
func CheckStageChange(status string, from, to int, mayGoBack bool, reason string) error {
	field := "stage"
	if to < from && mayGoBack {
		field = "reason"
	}
	return refusal(lead.CheckStageChange(status, from, to, mayGoBack, reason), field)
}

// CheckClose says whether an open opportunity may be won or lost.
func CheckClose(status, op, reason, competitor string) error {
	if err := refusal(lead.CheckClose(status, op, reason), "reason"); err != nil {
		return err
	}
	var v apperr.Validation
	v.Check(utf8.RuneCountInString(reason) <= MaxText, "reason", "too_long", "at most 4000 characters")
	v.Check(utf8.RuneCountInString(competitor) <= MaxName, "competitor", "too_long", "at most 200 characters")
	return v.Err()
}

var (
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// CheckMoney validates an amount, currency, expected close date and
// probability; prefix is the JSON path of the object ("" or "opportunity.").
func CheckMoney(v *apperr.Validation, prefix string, amount int64, currency, expectedClose string, probability int) {
	v.Check(amount >= 0, prefix+"amount_minor", "negative", "must not be negative")
	v.Check(amount <= MaxAmountMinor, prefix+"amount_minor", "too_large", "at most 10^15 minor units")
	v.Check(currency == "" || currencyRE.MatchString(currency), prefix+"currency", "invalid", "an ISO 4217 code such as EUR or CNY")
	v.Check(amount == 0 || currency != "", prefix+"currency", "required", "give the currency of the amount")
	if expectedClose != "" {
		_, err := time.Parse(time.DateOnly, expectedClose)
		v.Check(dateRE.MatchString(expectedClose) && err == nil, prefix+"expected_close", "invalid", "a date as YYYY-MM-DD")
	}
	v.Check(probability >= 0 && probability <= 100, prefix+"probability", "out_of_range", "a percentage from 0 to 100 (0: the stage's default)")
}

// Territory is a validated territory definition.
type Territory struct {
	Name, Region, Industry, Team, ManagerID, Strategy string
}

// CheckTerritory validates a territory definition.
func CheckTerritory(t Territory) error {
	var v apperr.Validation
	v.Check(strings.TrimSpace(t.Name) != "", "name", "required", "is required")
	v.Check(utf8.RuneCountInString(t.Name) <= MaxShort, "name", "too_long", "at most 100 characters")
	v.Check(t.Region != "" || t.Industry != "", "region", "required", "a territory is a region, an industry or both: name at least one")
	v.Check(utf8.RuneCountInString(t.Region) <= MaxShort, "region", "too_long", "at most 100 characters")
	v.Check(utf8.RuneCountInString(t.Industry) <= MaxShort, "industry", "too_long", "at most 100 characters")
	v.Check(strings.TrimSpace(t.Team) != "", "team", "required", "is required")
	v.Check(strings.TrimSpace(t.ManagerID) != "", "manager_id", "required", "escalations go to this manager")
	v.Check(t.Strategy == RoundRobin || t.Strategy == LeastLoaded, "strategy", "invalid", "round_robin or least_loaded")
	return v.Err()
}

// CheckCapacity validates a rep's capacity (open leads it may hold).
func CheckCapacity(v *apperr.Validation, field string, capacity int) {
	v.Check(capacity >= 1 && capacity <= MaxCapacity, field, "out_of_range", "from 1 to 10000 open leads")
}

// NewLead is a lead as the API receives it.
type NewLead struct {
	Source, CustomerID, CompanyName, TaxID, ContactName, ContactEmail, ContactPhone string
	Region, Industry, Interest, Notes                                               string
	ReceivedAt                                                                      time.Time
}

// CheckLead validates a new lead; now is the server's clock.
func CheckLead(l NewLead, now time.Time) error {
	var v apperr.Validation
	v.Check(slices.Contains(Sources, l.Source), "source", "invalid", "one of "+strings.Join(Sources, ", "))
	if l.CustomerID == "" {
		v.Check(strings.TrimSpace(l.CompanyName) != "", "company_name", "required", "name the company, or give customer_id of an existing customer")
	}
	v.Check(utf8.RuneCountInString(l.CompanyName) <= MaxName, "company_name", "too_long", "at most 200 characters")
	v.Check(utf8.RuneCountInString(l.TaxID) <= 50, "tax_id", "too_long", "at most 50 characters")
	v.Check(utf8.RuneCountInString(l.ContactName) <= MaxName, "contact_name", "too_long", "at most 200 characters")
	if l.ContactEmail != "" {
		a, err := mail.ParseAddress(l.ContactEmail)
		v.Check(err == nil && a.Address == l.ContactEmail, "contact_email", "invalid", "an email address such as name@example.com")
	}
	v.Check(utf8.RuneCountInString(l.ContactPhone) <= 50, "contact_phone", "too_long", "at most 50 characters")
	if l.CustomerID == "" {
		v.Check(strings.TrimSpace(l.Region) != "", "region", "required", "territory rules need the region")
		v.Check(strings.TrimSpace(l.Industry) != "", "industry", "required", "territory rules need the industry")
		v.Check(l.CompanyName == "" || strings.IndexFunc(l.CompanyName, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0,
			"company_name", "invalid", "must contain letters or digits")
	}
	v.Check(utf8.RuneCountInString(l.Region) <= MaxShort, "region", "too_long", "at most 100 characters")
	v.Check(utf8.RuneCountInString(l.Industry) <= MaxShort, "industry", "too_long", "at most 100 characters")
	v.Check(utf8.RuneCountInString(l.Interest) <= MaxText, "interest", "too_long", "at most 4000 characters")
	v.Check(utf8.RuneCountInString(l.Notes) <= MaxText, "notes", "too_long", "at most 4000 characters")
	if !l.ReceivedAt.IsZero() {
		v.Check(!l.ReceivedAt.After(now.Add(time.Minute)), "received_at", "in_future", "a lead cannot arrive in the future")
		v.Check(!l.ReceivedAt.Before(now.Add(-MaxLeadAge)), "received_at", "too_old", "at most 30 days ago")
	}
	return v.Err()
}

// CheckContact validates a logged contact.
func CheckContact(channel, summary string, at, now time.Time) error {
	var v apperr.Validation
	v.Check(slices.Contains(Channels, channel), "channel", "invalid", "one of "+strings.Join(Channels, ", "))
	v.Check(strings.TrimSpace(summary) != "", "summary", "required", "say what was discussed")
	v.Check(utf8.RuneCountInString(summary) <= MaxText, "summary", "too_long", "at most 4000 characters")
	if !at.IsZero() {
		v.Check(!at.After(now.Add(time.Minute)), "at", "in_future", "a contact cannot be logged ahead of time")
		v.Check(!at.Before(now.Add(-MaxLeadAge)), "at", "too_old", "at most 30 days ago")
	}
	return v.Err()
}

func fieldErr(field, code, msg string) error {
	var v apperr.Validation
	v.Add(field, code, msg)
	return v.Err()
}

// Errors.
var (
	ErrLeadNotFound        = apperr.NotFound("lead_not_found", "no such lead")
	ErrOpportunityNotFound = apperr.NotFound("opportunity_not_found", "no such opportunity")
	ErrTerritoryNotFound   = apperr.NotFound("territory_not_found", "no such territory")
	ErrTerritoryExists     = apperr.Conflict("territory_exists", "a territory with this name, or with this region and industry, already exists")
	ErrLeadClosed          = apperr.Rule("lead_closed", "the lead is disqualified or converted")
	ErrLeadTransition      = apperr.Rule("invalid_lead_transition", "this lead state change is not allowed")
	ErrOpportunityClosed   = apperr.Rule("opportunity_closed", "the opportunity is already won or lost")
	ErrStageUnchanged      = apperr.Rule("stage_unchanged", "the opportunity is already in this stage")
	ErrStageBackwards      = apperr.Forbidden("stage_backwards_forbidden", "only managers may move an opportunity back to an earlier stage")
	ErrRepAtCapacity       = apperr.Rule("rep_at_capacity", "the rep already holds as many open leads as their capacity allows")
	ErrRepNotInTerritory   = apperr.Rule("rep_not_in_territory", "the rep is not a member of the lead's territory")
	ErrSameOwner           = apperr.Rule("same_owner", "the lead is already assigned to this rep")
	ErrAlreadyPooled       = apperr.Rule("already_pooled", "the lead is already in the pool")
	ErrCustomerOwned       = apperr.Rule("customer_owned", "the lead's customer belongs to its owner: move the lead only together with the customer (move_customer)")
	ErrCustomerNotVisible  = apperr.Rule("customer_not_visible", "the owner of the opportunity may not see its customer: the customer belongs to another rep")
	ErrTeamOutOfScope      = apperr.Forbidden("team_out_of_scope", "you may only manage territories of your own teams")
	ErrVersionConflict     = apperr.Conflict("version_conflict", "the opportunity changed since you read it; reload and retry")
	ErrWorkflowBusy        = apperr.Unavailable("workflow_unavailable", "the lead's workflow did not answer in time; retry")
)

// byCode finds a domain error by its code, for errors that crossed a
// workflow (an update validator's refusal, a failed activity).
var byCode = map[string]*apperr.Error{}

func init() {
	for _, e := range []*apperr.Error{ErrLeadNotFound, ErrOpportunityNotFound, ErrTerritoryNotFound, ErrTerritoryExists,
		ErrLeadClosed, ErrLeadTransition, ErrOpportunityClosed, ErrStageUnchanged, ErrStageBackwards, ErrRepAtCapacity, ErrRepNotInTerritory,
		ErrSameOwner, ErrAlreadyPooled, ErrTeamOutOfScope, ErrVersionConflict, ErrCustomerOwned, ErrCustomerNotVisible} {
		byCode[e.Code] = e
	}
}

// ErrorByCode returns the domain error with this code, carrying message.
func ErrorByCode(code, message string) (*apperr.Error, bool) {
	e, ok := byCode[code]
	if !ok {
		return nil, false
	}
	out := *e
	if message != "" {
		out.Message = message
	}
	return &out, true
}
