package policy

import (
	"slices"
	"time"
)

// Definition describes one policy: what it times, the shape and bounds of its
// value, and the default Closeloop ships. Definitions are code (the workflows
// that read a policy decide its meaning); values are data that analysts tune.
type Definition struct {
	Name     string `json:"name"`
	Shape    Shape  `json:"shape"`
	Title    string `json:"title"`
	Workflow string `json:"workflow"`
	// Effect says, in an analyst's words, what the value changes.
	Effect string `json:"effect"`
	// Min and Max bound every duration in the value (timer durations, table
	// entries, ladder step offsets).
	Min Duration `json:"min"`
	Max Duration `json:"max"`
	// Actions allowed in ladder steps.
	Actions []Action `json:"actions,omitempty"`
	// MaxSteps bounds the number of ladder steps.
	MaxSteps int `json:"max_steps,omitempty"`
	// Keys are the table's keys; a table value must have exactly these.
	Keys []string `json:"keys,omitempty"`
	// KeyMeaning says what a table key is (ABC class, priority, …).
	KeyMeaning string `json:"key_meaning,omitempty"`
	Default    Value  `json:"default"`
}

// Policy names. Workflows refer to policies only through these constants.
const (
	LeadFirstContactSLA   = "lead.first_contact_sla"
	LeadEscalation        = "lead.escalation_ladder"
	LeadStaleStage        = "lead.stale_stage"
	VisitReminder         = "visit.reminder_before"
	VisitLogDeadline      = "visit.log_deadline"
	VisitLogEscalation    = "visit.log_escalation_ladder"
	CareCadence           = "care.cadence"
	CareEscalation        = "care.escalation_ladder"
	ServiceResponseSLA    = "service.response_sla"
	ServiceResolutionSLA  = "service.resolution_sla"
	ServiceEscalation     = "service.escalation_ladder"
	ServiceSLAWarning     = "service.sla_warning"
	ServiceReopenWindow   = "service.reopen_window"
	ServiceAutoClose      = "service.auto_close"
	ServiceSurveyDelay    = "service.survey_delay"
	ServiceNPSPeriod      = "service.nps_period"
	ServiceRecoveryCall   = "service.recovery_call"
	ServiceRecoveryLadder = "service.recovery_escalation_ladder"
	WinBackInactivity     = "winback.inactivity_period"
	WinBackCadence        = "winback.cadence"
	WinBackTouchDeadline  = "winback.touch_deadline"
	WinBackTouchLadder    = "winback.touch_escalation_ladder"
	WinBackAttribution    = "winback.attribution_window"
	WinBackTouchSpread    = "winback.touch_spread"
	ContactPressure       = "marketing.contact_pressure"
	SlipAckDeadline       = "infoslip.ack_deadline"
	SlipCloseDeadline     = "infoslip.close_deadline"
	SlipEscalation        = "infoslip.escalation_ladder"
	SlipConfirmPeriod     = "infoslip.confirm_period"
	CallbackDeadline      = "followup.callback_deadline"
	CallbackEscalation    = "followup.callback_escalation_ladder"
	NoticeAckEscalation   = "notices.ack_escalation_ladder"
)

const (
	minute = Duration(time.Minute)
	hour   = Duration(time.Hour)
	day    = Duration(24 * time.Hour)
)

func business(d Duration) *Timer { return &Timer{Duration: d, Clock: ClockBusiness} }
func elapsed(d Duration) *Timer  { return &Timer{Duration: d, Clock: ClockCalendar} }

var escalationActions = []Action{ActionRemind, ActionEscalateManager, ActionReassign, ActionReturnToPool}

// catalogue is every policy of every workflow, in the order the docs list them.
var catalogue = []Definition{
	{
		Name: LeadFirstContactSLA, Shape: ShapeTimer, Workflow: "lead escalation",
		Title:  "First contact with a new lead",
		Effect: "How long the assigned rep has to make first contact: counted from the lead's assignment to the rep (an imported lead's first owner: from when the lead arrived, received_at), for a later owner from the reassignment. When it runs out the lead's escalation ladder starts.",
		Min:    15 * minute, Max: 30 * day,
		Default: Value{Timer: business(4 * hour)},
	},
	{
		Name: LeadEscalation, Shape: ShapeLadder, Workflow: "lead escalation",
		Title:  "Escalation of a lead nobody contacted",
		Effect: "What happens after the first-contact deadline is missed, and when (counted from the missed deadline): remind the rep, hand it to the rep's manager, reassign it or return it to the pool (a lead on a customer that already had an owner is never moved: those two steps escalate to the managers instead). Each step is recorded on the follow-up and the lead's timeline. The same ladder escalates opportunities stuck in a funnel stage; there, reassign and return_to_pool are shown to the managers to decide (an opportunity is never moved automatically).",
		Min:    0, Max: 60 * day, MaxSteps: 8, Actions: escalationActions,
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 4 * hour, Action: ActionEscalateManager}, {After: 16 * hour, Action: ActionReassign},
		}}},
	},
	{
		Name: LeadStaleStage, Shape: ShapeTable, Workflow: "lead escalation",
		Title:      "Stale funnel stage",
		Effect:     "How long an opportunity may stay in one funnel stage without progress before its owner must review it.",
		KeyMeaning: "funnel stage: 1 spotted, 2 intent, 3 project started, 4 essentially secured",
		Min:        day, Max: 365 * day, Keys: []string{"1", "2", "3", "4"},
		Default: Value{Table: map[string]Timer{
			"1": *elapsed(30 * day), "2": *elapsed(21 * day), "3": *elapsed(14 * day), "4": *elapsed(7 * day),
		}},
	},
	{
		Name: VisitReminder, Shape: ShapeTimer, Workflow: "visit scheduling",
		Title:  "Visit reminder",
		Effect: "How long before a scheduled visit the visitor is reminded.",
		Min:    15 * minute, Max: 14 * day,
		Default: Value{Timer: elapsed(24 * hour)},
	},
	{
		Name: VisitLogDeadline, Shape: ShapeTimer, Workflow: "visit scheduling",
		Title:  "Visit log due",
		Effect: "How long after a visit its log is due. A missing log becomes an overdue follow-up and follows the visit-log escalation ladder.",
		Min:    hour, Max: 30 * day,
		Default: Value{Timer: business(16 * hour)},
	},
	{
		Name: VisitLogEscalation, Shape: ShapeLadder, Workflow: "visit scheduling",
		Title:  "Escalation of a missing visit log",
		Effect: "Steps after the visit log is overdue, counted from its due time.",
		Min:    0, Max: 60 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 8 * hour, Action: ActionEscalateManager},
		}}},
	},
	{
		Name: CareCadence, Shape: ShapeTable, Workflow: "care for existing customers",
		Title:      "Care cadence per ABC class",
		Effect:     "The longest a customer of each value class may go without a contact. When it passes, a care-contact follow-up falls due for the owner.",
		KeyMeaning: "ABC value class",
		Min:        day, Max: 730 * day, Keys: []string{"A", "B", "C"},
		Default: Value{Table: map[string]Timer{"A": *elapsed(30 * day), "B": *elapsed(60 * day), "C": *elapsed(120 * day)}},
	},
	{
		Name: CareEscalation, Shape: ShapeLadder, Workflow: "care for existing customers",
		Title:  "Escalation of an overdue care contact",
		Effect: "Steps after a care contact is overdue, counted from its due time.",
		Min:    0, Max: 90 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager},
		Default: Value{Ladder: &Ladder{Clock: ClockCalendar, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 7 * day, Action: ActionEscalateManager},
		}}},
	},
	{
		Name: ServiceResponseSLA, Shape: ShapeTable, Workflow: "service requests",
		Title:      "Service response SLA per priority",
		Effect:     "How long after a service request arrives its handler must respond.",
		KeyMeaning: "service request priority",
		Min:        15 * minute, Max: 30 * day, Keys: []string{"urgent", "high", "normal", "low"},
		Default: Value{Table: map[string]Timer{
			"urgent": *business(hour), "high": *business(4 * hour), "normal": *business(8 * hour), "low": *business(24 * hour),
		}},
	},
	{
		Name: ServiceResolutionSLA, Shape: ShapeTable, Workflow: "service requests",
		Title:      "Service resolution SLA per priority",
		Effect:     "How long after a service request arrives it must be resolved.",
		KeyMeaning: "service request priority",
		Min:        hour, Max: 90 * day, Keys: []string{"urgent", "high", "normal", "low"},
		Default: Value{Table: map[string]Timer{
			"urgent": *business(8 * hour), "high": *business(24 * hour), "normal": *business(40 * hour), "low": *business(80 * hour),
		}},
	},
	{
		Name: ServiceEscalation, Shape: ShapeLadder, Workflow: "service requests",
		Title:  "Escalation of a late service case",
		Effect: "Steps after a first-response or resolution deadline is missed, counted from that deadline: remind the assignee, escalate to the team's managers, raise the case's priority by one level (which re-computes its targets from the case's anchor and starts the ladder again at the new deadline; a P1 case is escalated to the managers instead), or reassign (shown to the managers to decide: a case is never moved automatically). Each step is recorded on the case's follow-up and timeline.",
		Min:    0, Max: 30 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager, ActionRaisePriority, ActionReassign},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 2 * hour, Action: ActionEscalateManager}, {After: 8 * hour, Action: ActionRaisePriority},
		}}},
	},
	{
		Name: ServiceSLAWarning, Shape: ShapeTable, Workflow: "service requests",
		Title:      "Service SLA warning point per priority",
		Effect:     "How long before a first-response or resolution deadline the case is at risk: its assignee is warned and the case shows at risk. Counted in the target's own time (business or elapsed); a warning as long as the budget or longer means no warning. Changes reach open cases at their next event or timer.",
		KeyMeaning: "service request priority",
		Min:        0, Max: 30 * day, Keys: []string{"urgent", "high", "normal", "low"},
		Default: Value{Table: map[string]Timer{
			"urgent": *business(15 * minute), "high": *business(hour), "normal": *business(2 * hour), "low": *business(4 * hour),
		}},
	},
	{
		Name: ServiceReopenWindow, Shape: ShapeTimer, Workflow: "service requests",
		Title:  "Reopen window of a resolved case",
		Effect: "How long after a case is resolved it can still be reopened (its resolution clock then runs again with the budget that was left). Later — and once the case is closed — what the customer raises is a follow-on case.",
		Min:    hour, Max: 90 * day,
		Default: Value{Timer: elapsed(14 * day)},
	},
	{
		Name: ServiceAutoClose, Shape: ShapeTimer, Workflow: "service requests",
		Title:  "Automatic close of a resolved case",
		Effect: "How long a resolved case stays resolved (and can be reopened) before it is closed automatically.",
		Min:    hour, Max: 90 * day,
		Default: Value{Timer: elapsed(7 * day)},
	},
	{
		Name: ServiceSurveyDelay, Shape: ShapeTimer, Workflow: "service requests",
		Title:  "Satisfaction survey delay",
		Effect: "How long after a case closes its satisfaction survey is sent.",
		Min:    0, Max: 30 * day,
		Default: Value{Timer: elapsed(2 * hour)},
	},
	{
		Name: ServiceNPSPeriod, Shape: ShapeTimer, Workflow: "service requests",
		Title:  "NPS question period",
		Effect: "A customer is asked the recommend question (NPS, 0–10) in a survey at most once in this period.",
		Min:    7 * day, Max: 730 * day,
		Default: Value{Timer: elapsed(90 * day)},
	},
	{
		Name: ServiceRecoveryCall, Shape: ShapeTimer, Workflow: "service requests",
		Title:  "Complaint recovery call",
		Effect: "How long the team has to call a customer back after a low satisfaction score, counted from the answer.",
		Min:    15 * minute, Max: 30 * day,
		Default: Value{Timer: business(8 * hour)},
	},
	{
		Name: ServiceRecoveryLadder, Shape: ShapeLadder, Workflow: "service requests",
		Title:  "Escalation of an overdue recovery call",
		Effect: "Steps after a recovery call is overdue, counted from its due time.",
		Min:    0, Max: 30 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 4 * hour, Action: ActionEscalateManager},
		}}},
	},
	{
		Name: WinBackInactivity, Shape: ShapeTimer, Workflow: "win-back campaign",
		Title:  "Inactivity before win-back",
		Effect: "How long a customer stays lost (counted from the change of its lifecycle stage to lost) before the daily win-back sweep enrols it in the running win-back campaign that matches it, or lists it as a win-back candidate. A win-back campaign's launch takes only customers lost at least this long.",
		Min:    7 * day, Max: 1095 * day,
		Default: Value{Timer: elapsed(180 * day)},
	},
	{
		Name: WinBackCadence, Shape: ShapeLadder, Workflow: "win-back campaign",
		Title:  "Win-back touches",
		Effect: "The campaign's touches and when each is due, counted from the day the customer enters the campaign. A call, a visit or an offer is an action plan for the customer's owner; an email goes to the customer's contact address through the notification channel (the campaign's email, with an unsubscribe link), or, when the customer has no address or the campaign no email, becomes an offer for the owner. The campaign stops at once when the customer responds or orders again.",
		Min:    0, Max: 365 * day, MaxSteps: 12, Actions: []Action{ActionCall, ActionVisit, ActionOffer, ActionEmail},
		Default: Value{Ladder: &Ladder{Clock: ClockCalendar, Steps: []Step{
			{After: 0, Action: ActionCall}, {After: 14 * day, Action: ActionVisit}, {After: 30 * day, Action: ActionOffer}, {After: 60 * day, Action: ActionCall},
		}}},
	},
	{
		Name: WinBackTouchDeadline, Shape: ShapeTimer, Workflow: "win-back campaign",
		Title:  "Win-back touch due",
		Effect: "How long the owner has to carry out each win-back touch once it is due.",
		Min:    hour, Max: 30 * day,
		Default: Value{Timer: business(24 * hour)},
	},
	{
		Name: WinBackTouchLadder, Shape: ShapeLadder, Workflow: "win-back campaign",
		Title:  "Escalation of an overdue win-back touch",
		Effect: "Steps after a win-back touch is overdue, counted from its due time: remind the person it is assigned to, then tell their team's managers.",
		Min:    0, Max: 30 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 8 * hour, Action: ActionEscalateManager},
		}}},
	},
	{
		Name: WinBackTouchSpread, Shape: ShapeTimer, Workflow: "win-back campaign",
		Title:  "Spread of win-back touches",
		Effect: "Win-back touches that would fall due at one instant — a launch or the daily sweep enrols many lost customers within minutes — are spread over this period after it: each customer's touches come at a fixed place in it, derived from customer and campaign, so thousands of touches never fall due in the same second. 0 turns the spread off.",
		Min:    0, Max: 5 * day,
		Default: Value{Timer: business(2 * hour)},
	},
	{
		Name: WinBackAttribution, Shape: ShapeTimer, Workflow: "win-back campaign",
		Title:  "Win-back attribution window",
		Effect: "A customer enrolled in a win-back campaign counts as won back only if an opportunity of theirs is won, or they are transacting again, within this period from their enrolment.",
		Min:    7 * day, Max: 730 * day,
		Default: Value{Timer: elapsed(90 * day)},
	},
	{
		Name: ContactPressure, Shape: ShapeTable, Workflow: "marketing campaigns",
		Title:      "Contact pressure",
		Effect:     "The most touches any customer gets across all campaigns: for each number of touches, the period in which no more than that many are made. A touch that would exceed a limit waits until it no longer does.",
		KeyMeaning: "number of touches: at most this many in the period",
		Min:        day, Max: 365 * day, Keys: []string{"1", "2", "3"},
		Default: Value{Table: map[string]Timer{
			"1": *elapsed(3 * day), "2": *elapsed(14 * day), "3": *elapsed(30 * day),
		}},
	},
	{
		Name: SlipAckDeadline, Shape: ShapeTimer, Workflow: "info-slip closure",
		Title:  "Info-slip acknowledgement",
		Effect: "How long each receiving department has to acknowledge an info slip.",
		Min:    15 * minute, Max: 30 * day,
		Default: Value{Timer: business(8 * hour)},
	},
	{
		Name: SlipCloseDeadline, Shape: ShapeTimer, Workflow: "info-slip closure",
		Title:  "Info-slip closure",
		Effect: "How long each receiving department has, from receiving the slip, to report what it did and close its part.",
		Min:    hour, Max: 90 * day,
		Default: Value{Timer: business(40 * hour)},
	},
	{
		Name: SlipEscalation, Shape: ShapeLadder, Workflow: "info-slip closure",
		Title:  "Chasing departments that lag on a slip",
		Effect: "Reminders and escalations after a slip deadline is missed, counted from that deadline.",
		Min:    0, Max: 60 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager, ActionEscalateOriginator},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 8 * hour, Action: ActionEscalateManager}, {After: 16 * hour, Action: ActionEscalateOriginator},
		}}},
	},
	{
		Name: SlipConfirmPeriod, Shape: ShapeTimer, Workflow: "info-slip closure",
		Title:  "Info-slip confirmation",
		Effect: "How long the originator has, once every recipient is done, to confirm or object before the slip closes by itself.",
		Min:    hour, Max: 30 * day,
		Default: Value{Timer: business(24 * hour)},
	},
	{
		Name: CallbackDeadline, Shape: ShapeTimer, Workflow: "follow-ups opened by people",
		Title:  "Call-back due",
		Effect: "When a person opens a call-back follow-up without a due time, it is due this long after it was opened.",
		Min:    15 * minute, Max: 90 * day,
		Default: Value{Timer: business(8 * hour)},
	},
	{
		Name: CallbackEscalation, Shape: ShapeLadder, Workflow: "follow-ups opened by people",
		Title:  "Escalation of an overdue call-back",
		Effect: "Steps after a call-back is overdue, counted from its due time.",
		Min:    0, Max: 60 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 8 * hour, Action: ActionEscalateManager},
		}}},
	},
	{
		Name: NoticeAckEscalation, Shape: ShapeLadder, Workflow: "notices",
		Title:  "Chasing readers who have not acknowledged a notice",
		Effect: "Steps after a reader misses the acknowledgement deadline of a notice that asks to be acknowledged (its publisher sets the deadline), counted from that deadline: remind the reader, then tell the managers of the reader's team. The reader's acknowledgement closes it; revoking the notice cancels it.",
		Min:    0, Max: 60 * day, MaxSteps: 8, Actions: []Action{ActionRemind, ActionEscalateManager},
		Default: Value{Ladder: &Ladder{Clock: ClockBusiness, Steps: []Step{
			{After: 0, Action: ActionRemind}, {After: 8 * hour, Action: ActionEscalateManager},
		}}},
	},
}

// Catalogue returns every policy definition, in documentation order.
func Catalogue() []Definition { return slices.Clone(catalogue) }

// Lookup returns the definition of the named policy.
func Lookup(name string) (Definition, bool) {
	for _, d := range catalogue {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}
