package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Marketing campaigns on the history.
//
// A campaign reaches its customers through their owners: each touch (a
// call, a visit, an offer, an event invitation) is an action plan on the
// owner's list and the customer's history, put there by the marketing
// workflows through the customer.PlanTouches activity. A touch's plan is an
// ordinary plan of department marketing — its owner completes or cancels it
// like any other, and a call or visit done is a logged contact — that names
// its campaign (CampaignID). It is planned once per touch id: its id is
// derived from the touch's (TouchPlanID), so a retried or replayed
// activity plans nothing more. A visit touch's plan also asks for its visit
// through the one-visit-per-customer-day rule (visittouch.go).
//
// What a campaign itself records about a customer — the customer won back
// by a win-back — is an item of category campaign, like a service case's
// item (caseevent.go): a log of department marketing that nobody records
// through POST /v1/actions (campaign is not in Categories), completes or
// cancels (Changeable: recorded_by_campaign), that is no contact, and that
// is recorded once per key (CampaignEventID).

// CategoryCampaign is the category of the items a campaign records on a
// customer's history.
const CategoryCampaign = "campaign"

// DepartmentMarketing is the department of campaign touches and items.
const DepartmentMarketing = "marketing"

// ErrRecordedByCampaign refuses to change an item a campaign recorded.
var ErrRecordedByCampaign = apperr.Rule("recorded_by_campaign", "this item records a campaign's event: it changes only through the campaign")

// Namespaces of the ids derived from touch ids and campaign-event keys.
var (
	touchNS         = uuid.MustParse("9b2f6d14-83c7-4e0a-b5d1-4a7e2c9f3b60")
	campaignEventNS = uuid.MustParse("c41e8a27-6f3b-4d95-8e02-1b7d5a9c6e34")
)

// Touch actions and the category of the plan each becomes, with the words
// its title ends with.
var (
	touchCategories = map[string]string{"call": "phone_call", "visit": "visit_reception", "offer": "materials_submission", "event": "materials_submission"}
	touchWords      = map[string]string{"call": "call", "visit": "visit", "offer": "send the offer", "event": "invite to the event"}
)

// Touch is a campaign touch as the marketing workflows hand it over.
type Touch struct {
	ID           string // the touch id: the plan's key
	CampaignID   string
	CampaignName string
	CustomerID   string
	Step         int
	Action       string // call, visit, offer, event
	AssigneeID   string // who carries it out
	DueAt        time.Time
	// Department carries the touch out: "" is marketing, else one of
	// Departments (a visit touch asks for its visit in it).
	Department string
	// PlannedAt is when the touch counts as made (zero: when it is
	// planned); a visit touch's visit starts after it (visittouch.go).
	PlannedAt time.Time
}

// TouchPlanID is the id of the action plan of a touch: the same touch, the
// same plan.
func TouchPlanID(touchID string) string { return uuid.NewSHA1(touchNS, []byte(touchID)).String() }

// NewTouchPlan validates a touch received at now and returns its action
// plan: department marketing (or the department the touch names), in the
// touch action's category (a call a
// phone call, a visit a visit/reception, an offer or an event invitation a
// submission of materials), planned for the touch's due time, the
// assignee's to carry out (its actor), linked to the customer and naming the
// campaign, titled "<campaign>: <what to do>". A due time already past is
// kept: the touch is late, not wrong. A malformed touch is refused
// (validation_failed, fields under prefix).
func NewTouchPlan(t Touch, prefix string, now time.Time) (Action, error) {
	var v apperr.Validation
	id := strings.TrimSpace(t.ID)
	checkText(&v, prefix+"touch_id", id, maxKey, true)
	customer, err := uuid.Parse(t.CustomerID)
	v.Check(err == nil, prefix+"customer_id", "invalid", "must be an id")
	campaign := strings.TrimSpace(t.CampaignID)
	checkText(&v, prefix+"campaign_id", campaign, maxCampaignID, true)
	category, ok := touchCategories[t.Action]
	v.Check(ok, prefix+"action", "invalid", "one of call, visit, offer, event")
	assignee := strings.TrimSpace(t.AssigneeID)
	checkText(&v, prefix+"assignee_id", assignee, maxActor, true)
	v.Check(t.Step >= 0, prefix+"step", "invalid", "must not be negative")
	v.Check(!t.DueAt.IsZero(), prefix+"due_at", "required", "when the touch is due")
	department := strings.TrimSpace(t.Department)
	if department == "" {
		department = DepartmentMarketing
	}
	v.Check(slices.Contains(Departments, department), prefix+"department", "invalid", "one of "+strings.Join(Departments, ", "))
	if err := v.Err(); err != nil {
		return Action{}, err
	}
	name := strings.TrimSpace(t.CampaignName)
	if name == "" {
		name = "Campaign " + campaign
	}
	due := t.DueAt.UTC().Truncate(time.Microsecond)
	summary := "Campaign touch"
	if t.Step > 0 {
		summary += ", step " + strconv.Itoa(t.Step)
	}
	summary += ": " + touchWords[t.Action] + " by " + due.Format(time.RFC3339) + "."
	a := Action{ID: TouchPlanID(id), Kind: KindPlan, Status: StatusPlanned, Category: category, Department: department,
		ActorID: assignee, Title: cut(name+": "+touchWords[t.Action], maxTitle), Summary: summary,
		PlannedFor: &due, OccurredAt: due, CreatedAt: now, UpdatedAt: now, CampaignID: campaign,
		Links: []Link{{SubjectType: SubjectCustomer, SubjectID: customer.String(), CustomerID: customer.String()}}}
	if t.Action == "visit" {
		made := t.PlannedAt
		if made.IsZero() {
			made = now
		}
		a.Links = append(a.Links, visitRequest(customer.String(), made))
	}
	return a, nil
}

// CampaignEvent is a campaign's event about a customer, as its workflow
// reports it.
type CampaignEvent struct {
	Key        string // idempotency key
	CustomerID string
	CampaignID string
	Actor      string
	Title      string
	Summary    string
	At         time.Time
}

// CampaignEventID is the id of the history item recorded for a campaign
// event's key.
func CampaignEventID(key string) string { return uuid.NewSHA1(campaignEventNS, []byte(key)).String() }

// NewCampaignEvent validates a campaign event received at now and returns
// its history item: a log of department marketing in category campaign,
// done at the event's time, linked to the customer and naming the
// campaign. Overlong texts are cut.
func NewCampaignEvent(e CampaignEvent, now time.Time) (Action, error) {
	var v apperr.Validation
	key := strings.TrimSpace(e.Key)
	checkText(&v, "key", key, maxKey, true)
	customer, err := uuid.Parse(e.CustomerID)
	v.Check(err == nil, "customer_id", "invalid", "must be an id")
	checkText(&v, "campaign_id", e.CampaignID, maxCampaignID, true)
	checkText(&v, "actor", strings.TrimSpace(e.Actor), maxActor, true)
	checkText(&v, "title", strings.TrimSpace(e.Title), maxText, true)
	v.Check(!e.At.IsZero(), "at", "required", "when it happened")
	if err := v.Err(); err != nil {
		return Action{}, err
	}
	at := e.At.UTC().Truncate(time.Microsecond)
	return Action{ID: CampaignEventID(key), Kind: KindLog, Status: StatusDone, Category: CategoryCampaign, Department: DepartmentMarketing,
		ActorID: strings.TrimSpace(e.Actor), Title: cut(strings.TrimSpace(e.Title), maxTitle), Summary: cut(strings.TrimSpace(e.Summary), maxText),
		DoneAt: &at, OccurredAt: at, CreatedAt: now, UpdatedAt: now, CampaignID: e.CampaignID,
		Links: []Link{{SubjectType: SubjectCustomer, SubjectID: customer.String(), CustomerID: customer.String()}}}, nil
}

// FromCampaign reports whether the item records a campaign's event (not a
// touch's plan, which people carry out).
func (a Action) FromCampaign() bool { return a.Category == CategoryCampaign }

// maxCampaignID bounds a campaign id.
const maxCampaignID = 100
