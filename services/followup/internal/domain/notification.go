package domain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Notifications: a step of a follow-up's ladder that someone must act on
// (a reminder, an escalation, a hand-over) and a person's reassignment are
// told to the people concerned as messages of their in-app inbox. A message
// is decided by the same state change that records the step, and stored in
// the same transaction as the step's history entry, so a retried activity,
// a replayed workflow or a restarted worker never tells anyone twice and a
// recorded step is never left untold: its id is derived from (follow-up,
// step, recipient).

// Notification is one message: the step (or reassignment) of a follow-up,
// addressed to one person or to the managers of one team.
type Notification struct {
	ID         string
	FollowUpID string
	Kind       string
	Title      string
	CustomerID string
	// Team and OwnerID are the follow-up's when the step ran.
	Team    string
	OwnerID string
	Level   int
	Action  string
	// Exactly one of UserID (one person) and ManagersOf (every manager of
	// that team, each with their own read state) is set.
	UserID     string
	ManagersOf string
	// Urgent messages are escalations: quiet hours will not hold them.
	Urgent bool
	// DueAt is the follow-up's due time when the step ran.
	DueAt time.Time
	At    time.Time
	// Actor and ActorName are who made the change: the workflow for a
	// ladder step, the person (id and display name) for a reassignment.
	Actor     string
	ActorName string
	// CampaignID, Link, Counts and Note are set on a message about an
	// event that is not a follow-up's step (event.go): FollowUpID is empty,
	// Link is the record's page in the console, Counts its figures (a
	// launch's totals) and Note the actor's note (a cancellation's reason).
	CampaignID string
	Link       string
	Counts     map[string]int64
	Note       string
}

// AboutFollowUp reports whether n tells of a follow-up's step (rather than
// of another record's event, such as a campaign's).
func (n Notification) AboutFollowUp() bool { return n.FollowUpID != "" }

// Audience is who one message goes to: a person, or a team's managers.
type Audience struct{ UserID, ManagersOf string }

func (a Audience) key() string {
	if a.ManagersOf != "" {
		return "managers:" + a.ManagersOf
	}
	return "user:" + a.UserID
}

// AudienceOf says who must hear of a history entry of f (f as it is after
// the change): a reminder goes to the owner; an escalation, a hand-over by
// the ladder and a return to the pool to the owner and the team's managers;
// an escalation to the originator to the owner and the managers of the team
// that asked for the work (the follow-up's own team when none did); a
// win-back touch to the owner; a reassignment by a person to the new owner.
// Other entries (opened, re-timed, closed, …) tell no one.
func AudienceOf(f FollowUp, e Event) []Audience {
	owner := Audience{UserID: f.OwnerID}
	managers := Audience{ManagersOf: f.Team}
	var out []Audience
	switch e.Action {
	case "remind", "call", "visit", "offer":
		out = []Audience{owner}
	case "escalate_manager", "reassign", "return_to_pool", "raise_priority":
		out = []Audience{owner, managers}
	case ActionEscalateOriginator:
		out = []Audience{owner, {ManagersOf: f.RequesterManagersOf()}}
	case ActionReassigned:
		if e.Actor != f.OwnerID { // not someone taking it over themselves
			out = []Audience{owner}
		}
	}
	kept := out[:0]
	for _, a := range out {
		if a.UserID != "" || a.ManagersOf != "" {
			kept = append(kept, a)
		}
	}
	return kept
}

// notificationsOf are the messages the history entry e of f sends.
func notificationsOf(f FollowUp, e Event) []Notification {
	var out []Notification
	for _, a := range AudienceOf(f, e) {
		out = append(out, Notification{
			ID: NotificationID(f.ID, e, a), FollowUpID: f.ID, Kind: f.Kind, Title: f.Title, CustomerID: f.CustomerID,
			Team: f.Team, OwnerID: f.OwnerID, Level: e.Level, Action: e.Action,
			UserID: a.UserID, ManagersOf: a.ManagersOf, Urgent: Escalating(e.Action) && a.ManagersOf != "",
			DueAt: f.DueAt, At: e.At, Actor: e.Actor, ActorName: e.ActorName,
		})
	}
	return out
}

// notificationSpace is the UUID namespace of notification ids.
var notificationSpace = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/notification"))

// NotificationID is the message's id, the same however often the step is
// recorded: a ladder step is one level of one follow-up, so (follow-up,
// level, action, audience) names it; a reassignment by a person is named by
// its instant as well (a follow-up may change hands several times at one
// level).
func NotificationID(followUpID string, e Event, a Audience) string {
	name := fmt.Sprintf("%s\x00%d\x00%s\x00%s", followUpID, e.Level, e.Action, a.key())
	if e.Action == ActionReassigned {
		name += "\x00" + e.At.UTC().Format(time.RFC3339Nano)
	}
	return uuid.NewSHA1(notificationSpace, []byte(name)).String()
}
