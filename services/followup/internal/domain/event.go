package domain

import (
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Events of other records: a marketing campaign's state changes are told
// through the same inbox, email and webhook channels as a follow-up's
// steps, but belong to no follow-up. The service that owns the record
// decides who is told (for campaigns: services/marketing/internal/domain,
// event.go) and hands the event over (activity followup.Notify); this
// service stores one message per audience, with an id derived from the
// event's id and the audience, so an event handed over twice is told once.

// Actions of a campaign's events (event kind EventCampaign).
const (
	CampaignApprovalRequested = "approval_requested"
	CampaignApproved          = "approved"
	CampaignCancelled         = "cancelled"
	CampaignLaunchFinished    = "launch_finished"
	CampaignCompleted         = "completed"
)

// KindCampaign is the kind of a message about a campaign.
const KindCampaign = "campaign"

// eventActions are the actions each event kind knows.
var eventActions = map[string][]string{
	EventCampaign: {CampaignApprovalRequested, CampaignApproved, CampaignCancelled, CampaignLaunchFinished, CampaignCompleted},
}

// RecordEvent is an event of a record that is not a follow-up (a
// campaign), with who must hear of it.
type RecordEvent struct {
	// ID is derived by the sender from the event (campaign, event, version).
	ID        string
	Kind      string // EventCampaign
	Action    string
	SubjectID string // the campaign's id
	Title     string // its name
	Team      string
	OwnerID   string
	Actor     string
	ActorName string
	At        time.Time
	To        []Audience
	Counts    map[string]int64
	Note      string
	// Link is the record's page in the console: a path beginning with "/".
	Link string
}

// linkPath is what a console path may look like: no scheme, no host.
var linkPath = regexp.MustCompile(`^/[A-Za-z0-9/_.\-]{0,300}$`)

// Limits of an event's texts.
const (
	maxEventID   = 100
	maxEventNote = 500
)

// NewEventNotifications checks e and returns its messages, one per
// audience (an audience named twice is told once). Refused with field
// errors: no id, an unknown kind or action, no subject, no audience or one
// that is neither a person nor a team's managers (or both), a link that is
// not a console path, a note too long.
func NewEventNotifications(e RecordEvent) ([]Notification, error) {
	var v apperr.Validation
	v.Check(e.ID != "" && len(e.ID) <= maxEventID, "event_id", "required", "the event's id (at most 100 characters)")
	actions, known := eventActions[e.Kind]
	v.Check(known, "kind", "invalid", "campaign")
	if known {
		ok := false
		for _, a := range actions {
			ok = ok || a == e.Action
		}
		v.Check(ok, "action", "invalid", "one of "+strings.Join(actions, ", "))
	}
	v.Check(e.SubjectID != "" && len(e.SubjectID) <= 36, "subject_id", "required", "the record's id")
	v.Check(len([]rune(e.Title)) <= 300, "title", "too_long", "at most 300 characters")
	v.Check(!e.At.IsZero(), "at", "required", "when it happened")
	v.Check(e.Link == "" || linkPath.MatchString(e.Link), "link", "invalid", "a path of the web console, such as /campaigns/<id>")
	v.Check(len([]rune(e.Note)) <= maxEventNote, "note", "too_long", "at most 500 characters")
	v.Check(len(e.To) > 0, "to", "required", "at least one person or team's managers to tell")
	for _, a := range e.To {
		if (a.UserID == "") == (a.ManagersOf == "") {
			v.Add("to", "invalid", "each addressee is exactly one of user_id and managers_of")
			break
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []Notification
	seen := map[string]bool{}
	for _, a := range e.To {
		if seen[a.key()] {
			continue
		}
		seen[a.key()] = true
		// A record's event has no due time: DueAt is its instant.
		n := Notification{ID: EventNotificationID(e.ID, a), Kind: e.Kind, Title: e.Title, Team: e.Team, OwnerID: e.OwnerID,
			Action: e.Action, UserID: a.UserID, ManagersOf: a.ManagersOf, DueAt: e.At.UTC(), At: e.At.UTC(), Actor: e.Actor,
			ActorName: e.ActorName, Link: e.Link, Counts: e.Counts, Note: e.Note}
		if e.Kind == EventCampaign {
			n.CampaignID = e.SubjectID
		}
		out = append(out, n)
	}
	return out, nil
}

// EventNotificationID is the id of the message telling audience a of the
// event eventID: the same however often the event is handed over.
func EventNotificationID(eventID string, a Audience) string {
	return uuid.NewSHA1(notificationSpace, []byte("event\x00"+eventID+"\x00"+a.key())).String()
}
