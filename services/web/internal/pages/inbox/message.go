package inbox

import (
	"context"
	"net/url"
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
	// Actor and ActorName are who made the change (a person for a
	// reassignment; "workflow" for a ladder step), as the message says.
	Actor, ActorName string
	// What says what happened, in the reader's language. Customer and
	// Owner are names ("" when the user may not read them: the page shows
	// a link or the id).
	What, Customer, Owner string
	// CampaignID is set on a message about a marketing campaign's event
	// (kind campaign: approval_requested, approved, cancelled,
	// launch_finished, completed), which has no follow-up; Counts are a
	// launch's totals and Note the actor's note (a cancellation's reason).
	// Detail says them in the reader's language.
	CampaignID string
	Counts     map[string]int64
	Note       string
	Detail     string
}

// AboutCampaign reports whether the message tells of a campaign's event
// rather than a follow-up's step: it has no due time, state or board item,
// and links to the campaign's page.
func (m *Message) AboutCampaign() bool { return m.CampaignID != "" }

// CampaignURL is the campaign's page in the console.
func (m *Message) CampaignURL() string { return "/campaigns/" + url.PathEscape(m.CampaignID) }

func messageOf(v followupapi.NotificationView) *Message {
	m := &Message{ID: view.Str(v.Id), FollowUpID: view.Str(v.FollowUpId), Kind: view.Str(v.Kind), Title: view.Str(v.Title),
		CustomerID: view.Str(v.CustomerId), Team: view.Str(v.Team), OwnerID: view.Str(v.OwnerId), Action: view.Str(v.Action),
		ManagersOf: view.Str(v.ManagersOf), State: view.Str(v.FollowUpState), Urgent: v.Urgent != nil && *v.Urgent,
		At: v.At, DueAt: v.DueAt, ReadAt: v.ReadAt, Actor: view.Str(v.Actor), ActorName: view.Str(v.ActorName),
		CampaignID: view.Str(v.CampaignId), Note: view.Str(v.Note)}
	if v.Counts != nil {
		m.Counts = map[string]int64{}
		for k, n := range *v.Counts {
			m.Counts[k] = int64(n)
		}
	}
	return m
}

// Unread reports whether the reader has not marked the message read.
func (m *Message) Unread() bool { return m.ReadAt == nil }

// Open reports whether the follow-up still needs someone; a closed one
// (done, cancelled) needs no action whatever the message said.
func (m *Message) Open() bool { return m.State == "open" || m.State == "escalated" }

// Closed reports whether the follow-up is known to be done or cancelled.
func (m *Message) Closed() bool { return m.State == "done" || m.State == "cancelled" }

// tell fills in what the messages need to be told, reading at once: the
// customers' names (one call) and, for a manager or an administrator, the
// owners' names (the user directory). Who gave a follow-up to the reader is
// in the message itself. Names only decorate: what does not load is logged
// and the page shows ids and links.
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
		actor := m.ActorName
		if actor == "" && m.Actor != "" {
			actor = name(m.Actor)
		}
		m.What = what(r.X, m, actor)
		m.Detail = detail(r.X, m)
	}
}

// detail is what a campaign's message adds: a launch's totals, a
// cancellation's reason.
func detail(x *view.Ctx, m *Message) string {
	switch {
	case !m.AboutCampaign():
		return ""
	case m.Action == "launch_finished" && m.Counts != nil:
		return x.T("inbox.campaign.counts", "Enrolled", m.Counts["enrolled"], "HeldOut", m.Counts["held_out"], "Skipped", m.Counts["skipped"])
	case m.Note != "":
		return x.T("inbox.campaign.note", "Note", m.Note)
	}
	return ""
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
	case "escalate_manager", "escalate_originator":
		return x.T("inbox.what."+m.Action, "Team", team)
	case "reassign", "return_to_pool":
		if m.ManagersOf != "" {
			return x.T("inbox.what."+m.Action+"_team", "Team", team)
		}
		return x.T("inbox.what." + m.Action)
	case "call", "visit", "offer":
		return x.T("inbox.what.winback_" + m.Action)
	case "approval_requested", "approved", "cancelled", "completed":
		if actor == "" {
			actor = x.T("inbox.campaign.someone")
		}
		return x.T("inbox.what.campaign_"+m.Action, "Name", actor, "Team", team)
	case "launch_finished":
		return x.T("inbox.what.campaign_launch_finished")
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
