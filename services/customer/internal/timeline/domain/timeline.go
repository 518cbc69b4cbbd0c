// Package domain holds the rules of a customer's timeline: what an entry is,
// the one order every entry of every source takes (newest first), where a
// page starts after a cursor in each source, and how the sources' pages are
// merged into one. It has no storage and no HTTP; the sources' rows are
// handed to it by the use case in package app.
//
// The timeline gathers, for one customer, what the customer service records
// about it across departments: the actions (plans and logs of calls,
// meetings, reports, submissions) linked to it, its visits, and its
// lifecycle and relationship stage changes. The changes of its service
// cases and of the information routing slips about it are actions too
// (categories service_case and info_slip), each naming its case or slip.
// What other services record (leads and opportunities: the sales service's
// GET /v1/timeline) is read there and merged by the client on the same
// order: at, newest first.
package domain

import (
	"cmp"
	"slices"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Sources of timeline entries.
const (
	SourceAction = "action"
	SourceVisit  = "visit"
	SourceStage  = "stage"
)

// Sources lists every source, in the order their entries take when they
// share an instant (later in the list first).
var Sources = []string{SourceStage, SourceVisit, SourceAction}

// rank orders sources at one instant.
func rank(source string) int { return slices.Index(Sources, source) }

// Entry is one thing that happened to (or is planned with) a customer. At is
// when: an action's occurred_at (a plan's planned time, a log's done time),
// a visit's start, a stage change's instant. Exactly one of Action, Visit
// and Stage is set, as Source says.
type Entry struct {
	Source string    `json:"source"`
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	// Kind: an action's kind (plan, log); a visit's status (booked, done,
	// cancelled); a stage change's kind (lifecycle, relationship).
	Kind string `json:"kind"`
	// Actor is who did it: an action's author, a visit's booker, who changed the stage.
	Actor string `json:"actor"`
	// Department is the acting department (actions and visits).
	Department string  `json:"department,omitempty"`
	Action     *Action `json:"action,omitempty"`
	Visit      *Visit  `json:"visit,omitempty"`
	Stage      *Stage  `json:"stage,omitempty"`
}

// Action is an action entry's details (GET /v1/actions/{id} has the same).
type Action struct {
	Status         string     `json:"status"`
	Category       string     `json:"category"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
	NextStep       string     `json:"next_step,omitempty"`
	PlannedFor     *time.Time `json:"planned_for,omitempty"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
	CustomerIDs    []string   `json:"customer_ids"`
	ContactIDs     []string   `json:"contact_ids"`
	LeadIDs        []string   `json:"lead_ids"`
	OpportunityIDs []string   `json:"opportunity_ids"`
	// A service case's item (category service_case, recorded by the case's
	// workflow): the case, what happened to it (filed, resolved …) and the
	// team whose queue it is in; all three empty on a person's action.
	CaseID    string `json:"case_id,omitempty"`
	CaseEvent string `json:"case_event,omitempty"`
	CaseTeam  string `json:"case_team,omitempty"`
	// An information routing slip's item (category info_slip, recorded by
	// the slip's workflow): the slip and what happened to it (sent,
	// acknowledged …); both empty on every other action.
	SlipID    string `json:"slip_id,omitempty"`
	SlipEvent string `json:"slip_event,omitempty"`
	// The marketing campaign of a touch's plan or of a campaign's item
	// (category campaign); empty on every other action.
	CampaignID string `json:"campaign_id,omitempty"`
}

// Visit is a visit entry's details (GET /v1/visits/{id} has its whole timeline).
type Visit struct {
	Day          string        `json:"day"`
	StartAt      time.Time     `json:"start_at"`
	EndAt        time.Time     `json:"end_at"`
	Purpose      string        `json:"purpose"`
	Participants []Participant `json:"participants"`
	Log          *VisitLog     `json:"log,omitempty"`
	CancelReason string        `json:"cancel_reason,omitempty"`
}

// Participant is one visitor of a visit.
type Participant struct {
	UserID     string `json:"user_id"`
	Department string `json:"department"`
	Role       string `json:"role"`
}

// VisitLog is what a logged visit recorded.
type VisitLog struct {
	Summary  string    `json:"summary"`
	Outcome  string    `json:"outcome"`
	NextStep string    `json:"next_step"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// Stage is a stage change's details.
type Stage struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
	// Competitor is the competitor a customer lost went to, if known (a
	// lifecycle change to lost only).
	Competitor string `json:"competitor,omitempty"`
}

// Cursor is the position of the last entry of a page.
type Cursor struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"`
	ID     string    `json:"id"`
}

// compare orders entries newest first: by at, then source, then id, each
// descending; it is negative when a comes first.
func compare(a, b Entry) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	if c := cmp.Compare(rank(b.Source), rank(a.Source)); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// Bound is where a page starts in one source: its entries strictly after
// the cursor in the timeline's order. Entries of the source with At before
// Before come after the cursor, and so do those at Before itself when
// AtToo, or, when IDBelow is set, those at Before with an id below it.
type Bound struct {
	Before  time.Time
	AtToo   bool
	IDBelow string
}

// BoundIn returns where a page after c starts in source.
func (c Cursor) BoundIn(source string) Bound {
	switch r, cr := rank(source), rank(c.Source); {
	case r < cr: // at the cursor's instant, this source comes after the cursor's
		return Bound{Before: c.At, AtToo: true}
	case r == cr:
		return Bound{Before: c.At, IDBelow: c.ID}
	default:
		return Bound{Before: c.At}
	}
}

// Query asks for a page of one customer's timeline.
type Query struct {
	CustomerID string
	// Sources are the sources to read (all when empty).
	Sources []string
	After   *Cursor
	Limit   int
}

// Validate checks the query's sources and cursor.
func (q *Query) Validate() error {
	var v apperr.Validation
	for _, s := range q.Sources {
		v.Check(rank(s) >= 0, "source", "invalid", "one of action, visit, stage")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if q.After != nil && (rank(q.After.Source) < 0 || q.After.ID == "" || q.After.At.IsZero()) {
		return apperr.Invalid("invalid_cursor", "the cursor is not one this API returned")
	}
	if len(q.Sources) == 0 {
		q.Sources = slices.Clone(Sources)
	}
	return nil
}

// Page is a page of a timeline.
type Page struct {
	Items []Entry `json:"items"`
	// Next is the cursor of the next page (nil: this is the last).
	Next *Cursor `json:"-"`
}

// Merge merges the sources' pages into one page of at most limit entries in
// the timeline's order. Each source's page must hold its first limit+1
// entries after the cursor (fewer only when it has no more): then the
// merged page is the timeline's, and another page follows exactly when more
// than limit entries were handed in.
func Merge(limit int, sources ...[]Entry) Page {
	var all []Entry
	for _, s := range sources {
		all = append(all, s...)
	}
	slices.SortFunc(all, compare)
	page := Page{Items: all[:min(limit, len(all))]}
	if len(all) > limit && limit > 0 {
		last := page.Items[limit-1]
		page.Next = &Cursor{At: last.At, Source: last.Source, ID: last.ID}
	}
	if page.Items == nil {
		page.Items = []Entry{}
	}
	return page
}
