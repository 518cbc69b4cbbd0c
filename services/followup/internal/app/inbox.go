// The in-app inbox: the messages follow-up steps send (domain/notification.go)
// as each signed-in person reads them.

package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// MaxUnread is how far the unread count counts: beyond it the answer says
// "more" (a badge shows 99+), so the count stays cheap however long an
// inbox grows.
const MaxUnread = 99

// Inbox is the in-app inbox's use cases. Everyone signed in has one: their
// own messages, and a manager also those sent to the managers of their
// teams.
type Inbox struct{ store *store.Inbox }

// NewInbox returns the inbox's use cases over its repository.
func NewInbox(s *store.Inbox) *Inbox { return &Inbox{store: s} }

// NotificationView is a message as the API shows it.
type NotificationView struct {
	ID         string `json:"id"`
	FollowUpID string `json:"follow_up_id"`
	// Kind is the follow-up's kind (first_contact, callback, …).
	Kind       string `json:"kind"`
	Title      string `json:"title"`
	CustomerID string `json:"customer_id"`
	Team       string `json:"team"`
	OwnerID    string `json:"owner_id"`
	// Level and Action are the step: remind, escalate_manager,
	// escalate_originator, raise_priority, reassign, return_to_pool, a
	// win-back touch (call, visit, offer), or reassigned (a person gave the
	// follow-up to its owner).
	Level  int    `json:"level"`
	Action string `json:"action"`
	// ManagersOf is set when the message went to the managers of that team
	// rather than to the reader alone.
	ManagersOf string    `json:"managers_of,omitempty"`
	Urgent     bool      `json:"urgent"`
	DueAt      time.Time `json:"due_at"`
	At         time.Time `json:"at"`
	// ReadAt is when the reader marked it read; null while unread.
	ReadAt *time.Time `json:"read_at"`
	// FollowUpState is the follow-up's state now (open, escalated, done,
	// cancelled): a message about a follow-up closed since needs no action.
	FollowUpState string `json:"follow_up_state"`
	// Actor is who made the change: "workflow" for a ladder step, the
	// person's user id for a reassignment; ActorName their display name.
	Actor     string `json:"actor"`
	ActorName string `json:"actor_name,omitempty"`
	// CampaignID is set on a message about a marketing campaign's event
	// (kind campaign; action approval_requested, approved, cancelled,
	// launch_finished or completed), which has no follow-up: follow_up_id,
	// customer_id and follow_up_state are empty and due_at is the event's
	// instant.
	CampaignID string `json:"campaign_id,omitempty"`
	// Link is the console page the message is about (/campaigns/<id>) when
	// it is not a follow-up.
	Link string `json:"link,omitempty"`
	// Counts are the event's figures: a launch's enrolled, held_out and
	// skipped.
	Counts map[string]int64 `json:"counts,omitempty"`
	// Note is the actor's note (a cancellation's reason).
	Note string `json:"note,omitempty"`
}

// InboxCursor is a position in an inbox.
type InboxCursor struct {
	At time.Time `json:"a"`
	ID string    `json:"i"`
}

// InboxPage is a page of messages, newest first.
type InboxPage struct {
	Items      []NotificationView `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// UnreadCount is the number of unread messages, up to MaxUnread.
type UnreadCount struct {
	Unread int `json:"unread"`
	// More says there are more than Unread.
	More bool `json:"more"`
}

// MarkedRead says how many messages a mark-all-read marked.
type MarkedRead struct {
	Marked int `json:"marked"`
}

func errUnauthenticated() error {
	return apperr.Unauthenticated("unauthenticated", "a bearer token is required")
}

// reader is the signed-in caller as an inbox reader.
func reader(ctx context.Context) (store.Reader, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return store.Reader{}, errUnauthenticated()
	}
	r := store.Reader{UserID: p.Subject}
	if p.Has(auth.RoleManager) {
		r.Managing = p.Teams
	}
	return r, nil
}

// List is a page of the caller's messages, newest first; only the unread
// ones when asked.
func (s *Inbox) List(ctx context.Context, unread bool, after *InboxCursor, limit int, encode func(any) string) (InboxPage, error) {
	r, err := reader(ctx)
	if err != nil {
		return InboxPage{}, err
	}
	var k *store.InboxKeyset
	if after != nil {
		k = &store.InboxKeyset{At: after.At, ID: after.ID}
	}
	items, err := s.store.List(ctx, r, unread, k, limit+1)
	if err != nil {
		return InboxPage{}, err
	}
	out := InboxPage{Items: make([]NotificationView, 0, min(len(items), limit))}
	for i, it := range items {
		if i == limit {
			last := items[limit-1]
			out.NextCursor = encode(InboxCursor{At: last.At, ID: last.ID})
			break
		}
		out.Items = append(out.Items, NotificationView{ID: it.ID, FollowUpID: it.FollowUpID, Kind: it.Kind, Title: it.Title,
			CustomerID: it.CustomerID, Team: it.Team, OwnerID: it.OwnerID, Level: it.Level, Action: it.Action,
			ManagersOf: it.ManagersOf, Urgent: it.Urgent, DueAt: it.DueAt, At: it.At, ReadAt: it.ReadAt, FollowUpState: it.State,
			Actor: it.Actor, ActorName: it.ActorName, CampaignID: it.CampaignID, Link: it.Link, Counts: nonEmpty(it.Counts), Note: it.Note})
	}
	return out, nil
}

// Unread counts the caller's unread messages, up to MaxUnread.
func (s *Inbox) Unread(ctx context.Context) (UnreadCount, error) {
	r, err := reader(ctx)
	if err != nil {
		return UnreadCount{}, err
	}
	n, err := s.store.Unread(ctx, r, MaxUnread+1)
	if err != nil {
		return UnreadCount{}, err
	}
	return UnreadCount{Unread: min(n, MaxUnread), More: n > MaxUnread}, nil
}

// MarkRead marks one of the caller's messages read; marking it again
// changes nothing. A message that is not the caller's is not found.
func (s *Inbox) MarkRead(ctx context.Context, id string) error {
	r, err := reader(ctx)
	if err != nil {
		return err
	}
	ok, err := s.store.MarkRead(ctx, r, id, now())
	if err != nil {
		return err
	}
	if !ok {
		return apperr.NotFound("notification_not_found", "no such message in your inbox")
	}
	return nil
}

// MarkAllRead marks every unread message of the caller read.
func (s *Inbox) MarkAllRead(ctx context.Context) (MarkedRead, error) {
	r, err := reader(ctx)
	if err != nil {
		return MarkedRead{}, err
	}
	n, err := s.store.MarkAllRead(ctx, r, now())
	return MarkedRead{Marked: n}, err
}

// Notify stores the messages of another record's event (a campaign's:
// domain.NewEventNotifications) and returns their ids, one per audience
// (the followup.Notify activity, run by the service itself: there is no
// caller to authorise). Idempotent: the event handed over again stores
// nothing more, so nobody is told twice. A malformed event is refused with
// field errors before anything is stored. The dispatcher plans each new
// message's email and webhook deliveries like every message's.
func (s *Inbox) Notify(ctx context.Context, e domain.RecordEvent) ([]string, error) {
	ns, err := domain.NewEventNotifications(e)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.AddEventNotifications(ctx, ns); err != nil {
		return nil, err
	}
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	return ids, nil
}

func nonEmpty(c map[string]int64) map[string]int64 {
	if len(c) == 0 {
		return nil
	}
	return c
}
