package inbox

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Message is one message of the inbox as the page shows it.
type Message struct {
	ID, FollowUpID, Kind, Title, CustomerID, Team, OwnerID string
	// Action is the step (remind, escalate_manager, reassign,
	// return_to_pool, a win-back touch: call, visit, offer) or reassigned
	// (a person gave the follow-up to the reader).
	Action string
	// ManagersOf is the team whose managers the message went to ("": to
	// the reader alone).
	ManagersOf string
	// State is the follow-up's state now (open, escalated, done, cancelled).
	State             string
	Urgent            bool
	At, DueAt, ReadAt *time.Time
	// Actor is who gave the follow-up to the reader (a reassignment), when
	// its history says.
	Actor string
	// What says what happened, in the reader's language. Customer and
	// Owner are names ("" when the user may not read them: the page shows
	// a link or the id).
	What, Customer, Owner string
}

func messageOf(v followupapi.NotificationView) *Message {
	return &Message{ID: view.Str(v.Id), FollowUpID: view.Str(v.FollowUpId), Kind: view.Str(v.Kind), Title: view.Str(v.Title),
		CustomerID: view.Str(v.CustomerId), Team: view.Str(v.Team), OwnerID: view.Str(v.OwnerId), Action: view.Str(v.Action),
		ManagersOf: view.Str(v.ManagersOf), State: view.Str(v.FollowUpState), Urgent: v.Urgent != nil && *v.Urgent,
		At: v.At, DueAt: v.DueAt, ReadAt: v.ReadAt}
}

// Unread reports whether the reader has not marked the message read.
func (m *Message) Unread() bool { return m.ReadAt == nil }

// Open reports whether the follow-up still needs someone; a closed one
// (done, cancelled) needs no action whatever the message said.
func (m *Message) Open() bool { return m.State == "open" || m.State == "escalated" }

// Closed reports whether the follow-up is known to be done or cancelled.
func (m *Message) Closed() bool { return m.State == "done" || m.State == "cancelled" }

// maxReads bounds the follow-ups read at once to find who handed them over.
const maxReads = 8

// tell fills in what the messages need to be told, reading at once: the
// customers' names (one call), for a manager or an administrator the names
// of the owners and of who reassigned (the user directory), and who gave
// the reader each follow-up reassigned to them (its history). Each only
// decorates: what does not load is logged and the page shows ids and links.
func (h *handler) tell(ctx context.Context, r *console.Request, msgs []*Message) {
	if len(msgs) == 0 {
		return
	}
	var (
		wg        sync.WaitGroup
		customers map[string]string
		names     map[string]string
	)
	wg.Go(func() { customers = h.customerNames(ctx, r, msgs) })
	if r.X.Has("manager", "admin") {
		wg.Go(func() { names = console.Names(h.d.Users(r)) })
	}
	wg.Go(func() { h.actors(ctx, r, msgs) })
	wg.Wait()
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	for _, m := range msgs {
		m.Customer = customers[m.CustomerID]
		if m.OwnerID != "" && m.OwnerID != r.User.Subject {
			m.Owner = name(m.OwnerID)
		}
		actor := ""
		if m.Actor != "" {
			actor = name(m.Actor)
		}
		m.What = what(r.X, m, actor)
	}
}

// what is the sentence that says what happened.
func what(x *view.Ctx, m *Message, actor string) string {
	team := m.ManagersOf
	if team == "" {
		team = m.Team
	}
	switch m.Action {
	case "remind":
		return x.T("inbox.what.remind")
	case "escalate_manager":
		return x.T("inbox.what.escalate_manager", "Team", team)
	case "reassign", "return_to_pool":
		if m.ManagersOf != "" {
			return x.T("inbox.what."+m.Action+"_team", "Team", team)
		}
		return x.T("inbox.what." + m.Action)
	case "call", "visit", "offer":
		return x.T("inbox.what.winback_" + m.Action)
	case "reassigned":
		if actor != "" {
			return x.T("inbox.what.reassigned", "Name", actor)
		}
		return x.T("inbox.what.reassigned_unknown")
	}
	return x.T("inbox.what.other", "Action", m.Action)
}

// customerNames reads the names of the messages' customers the user may
// read, in one call.
func (h *handler) customerNames(ctx context.Context, r *console.Request, msgs []*Message) map[string]string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.CustomerID != "" && !seen[m.CustomerID] {
			seen[m.CustomerID] = true
			ids = append(ids, m.CustomerID)
		}
	}
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out
	}
	joined, limit := strings.Join(ids, ","), len(ids)
	res, err := r.API.Customer.GetCustomersWithResponse(ctx, &customerapi.GetCustomersParams{Ids: &joined, Limit: &limit})
	if err := apis.Check(res, err); err != nil || res.JSON200 == nil || res.JSON200.Items == nil {
		h.d.Log.WarnContext(r.C, "inbox: the customers' names did not load; showing links", "error", err)
		return out
	}
	for _, c := range *res.JSON200.Items {
		out[view.Str(c.Id)] = view.Str(c.Name)
	}
	return out
}

// actors finds, for each message saying a follow-up was given to the
// reader, who gave it: the reassignment in the follow-up's history at the
// message's time (the message is written with that entry).
func (h *handler) actors(ctx context.Context, r *console.Request, msgs []*Message) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxReads)
	for _, m := range msgs {
		if m.Action != "reassigned" || m.FollowUpID == "" || m.At == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := r.API.FollowUp.GetFollowUpsByIdWithResponse(ctx, m.FollowUpID)
			if err := apis.Check(res, err); err != nil || res.JSON200 == nil || res.JSON200.Events == nil {
				h.d.Log.InfoContext(r.C, "inbox: who reassigned a follow-up is not known", "follow_up", m.FollowUpID, "error", err)
				return
			}
			m.Actor = reassignedBy(*res.JSON200.Events, *m.At)
		})
	}
	wg.Wait()
}

// reassignedBy is the actor of the reassignment in events nearest to at
// (within a second: the history and the message keep the same instant), or
// "".
func reassignedBy(events []followupapi.Event, at time.Time) string {
	best, gap := "", time.Second
	for _, e := range events {
		if view.Str(e.Action) != "reassigned" || e.At == nil {
			continue
		}
		d := e.At.Sub(at)
		if d < 0 {
			d = -d
		}
		if d <= gap {
			best, gap = view.Str(e.Actor), d
		}
	}
	return best
}
