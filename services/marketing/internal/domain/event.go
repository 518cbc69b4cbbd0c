package domain

import (
	"strconv"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Campaign events: the changes of a campaign the people concerned are told
// of, in their inbox and by email or webhook as they chose (the follow-up
// service delivers them, docs/notifications.md):
//
//	event               told to                         when
//	approval_requested  the managers of its team        a draft's owner or a marketer of its team asks
//	approved            its owner                       unless the owner approved it
//	cancelled           its owner                       unless the owner cancelled it
//	launch_finished     its owner (with the totals)     its launch has enrolled the segment
//	completed           its owner                       unless the owner completed it
//
// Launching tells no one: the owner hears when the launch has finished,
// with what it enrolled. An event is stored in the transaction of the
// change it tells of (the service's outbox), so an accepted change is never
// left untold, and its id is derived from (campaign, event, version), so
// however often the outbox hands it over it is told once.

// Event kinds.
const (
	EventApprovalRequested = "approval_requested"
	EventApproved          = "approved"
	EventCancelled         = "cancelled"
	EventLaunchFinished    = "launch_finished"
	EventCompleted         = "completed"
)

// ActorWorkflow is the actor of an event no person made (a launch that
// finished).
const ActorWorkflow = "workflow"

// Audience is one addressee of an event: a person, or the managers of a
// team (each of whom reads it on their own).
type Audience struct {
	UserID     string `json:"user_id,omitempty"`
	ManagersOf string `json:"managers_of,omitempty"`
}

// Event is one campaign event to tell.
type Event struct {
	ID         string
	CampaignID string
	Kind       string
	// Version is the campaign's version the event is of.
	Version int
	// Name, Team and OwnerID are the campaign's when the event happened.
	Name, Team, OwnerID string
	// Actor made the change (ActorWorkflow for a finished launch);
	// ActorName is their display name, when known.
	Actor, ActorName string
	At               time.Time
	To               []Audience
	// Counts are a finished launch's totals: enrolled, held_out, skipped.
	Counts map[string]int64
	// Note is the actor's note (a cancellation's reason).
	Note string
}

// EventID names the event kind of campaign at its version: the same
// however often it is derived.
func EventID(campaignID, kind string, version int) string {
	return campaignID + ":" + kind + ":v" + strconv.Itoa(version)
}

func newEvent(c Campaign, kind, actor, actorName string, at time.Time, to ...Audience) Event {
	return Event{ID: EventID(c.ID, kind, c.Version), CampaignID: c.ID, Kind: kind, Version: c.Version, Name: c.Name, Team: c.Team,
		OwnerID: c.OwnerID, Actor: actor, ActorName: actorName, At: at, To: to}
}

// EventOfMove is the event the move of a campaign to next.State by actor
// tells (next as Move returned it), and whether there is one: approval,
// cancellation and completion are told to the owner unless the owner made
// them; a launch is told when it has finished (EventOfLaunch).
func EventOfMove(next Campaign, actor Actor, actorName, note string) (Event, bool) {
	var kind string
	switch next.State {
	case StateApproved:
		kind = EventApproved
	case StateCancelled:
		kind = EventCancelled
	case StateCompleted:
		kind = EventCompleted
	default:
		return Event{}, false
	}
	if next.OwnerID == "" || next.OwnerID == actor.ID {
		return Event{}, false
	}
	e := newEvent(next, kind, actor.ID, actorName, next.UpdatedAt, Audience{UserID: next.OwnerID})
	if kind == EventCancelled {
		e.Note = note
	}
	return e, true
}

// EventOfLaunch is the event of a campaign's finished launch, told to its
// owner with what it enrolled, held out and skipped.
func EventOfLaunch(c Campaign, enrolled, heldOut, skipped int64, at time.Time) Event {
	e := newEvent(c, EventLaunchFinished, ActorWorkflow, "", at, Audience{UserID: c.OwnerID})
	e.Counts = map[string]int64{"enrolled": enrolled, "held_out": heldOut, "skipped": skipped}
	return e
}

// ApprovalRequest is a draft's request for approval: who asked, when, and
// at which version of the draft.
type ApprovalRequest struct {
	By, ByName string
	At         time.Time
	Version    int
}

// Current reports whether r asks for the approval of c as it is now: an
// edit since (a new version) makes a request stale, and asking again asks
// again.
func (r *ApprovalRequest) Current(c Campaign) bool {
	return r != nil && r.Version == c.Version && c.State == StateDraft
}

// ErrNotDraftForApproval: only a draft is submitted for approval.
var ErrNotDraftForApproval = apperr.Rule("approval_request_not_draft",
	"only a draft campaign is submitted for approval; this one is past that")

// RequestApproval is a request by actor (named actorName) for the approval
// of draft c, told to the managers of its team, and whether it is new:
// asking again for the same version of the draft is the request already
// made (nobody is told twice); after an edit it is a new request. Refused
// when c is not a draft (ErrNotDraftForApproval). Who may ask is
// Marketing.Check's question (OpRequestApproval).
func RequestApproval(c Campaign, prev *ApprovalRequest, actor Actor, actorName string, now time.Time) (ApprovalRequest, Event, bool, error) {
	if c.State != StateDraft {
		return ApprovalRequest{}, Event{}, false, ErrNotDraftForApproval
	}
	if prev.Current(c) {
		return *prev, Event{}, false, nil
	}
	at := instant(now)
	r := ApprovalRequest{By: actor.ID, ByName: actorName, At: at, Version: c.Version}
	return r, newEvent(c, EventApprovalRequested, actor.ID, actorName, at, Audience{ManagersOf: c.Team}), true, nil
}
