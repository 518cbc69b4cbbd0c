package deliveries

import (
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/pages/webhooks"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Row is one delivery as the list shows it.
type Row struct {
	ID, Channel, Kind, Status, Reason string
	// Target is the person (email) or the subscription (webhook) it goes
	// to; To names it (a person's name, a webhook's elided address), Hook
	// is a webhook's description.
	Target, To, Hook string
	Address          string
	FollowUpID       string
	Urgent           bool
	Attempts         int
	LastError        string
	NotBefore        *time.Time
	SentAt           *time.Time
	CreatedAt        *time.Time
	UpdatedAt        *time.Time
	// Retried: the row is the answer to the admin's retry.
	Retried bool
}

// Short is the first part of an id, enough to tell subscriptions apart.
func Short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// targets names the people and webhooks deliveries go to: people from
// the user directory, webhooks from their subscriptions. Names only
// decorate ids: a service that does not answer is logged and the ids show.
type targets struct {
	people map[string]string
	hooks  map[string]hookName
}

type hookName struct{ shown, description string }

func (h *handler) targets(r *console.Request, items []followupapi.DeliveryView) targets {
	t := targets{hooks: map[string]hookName{}}
	var email, hook bool
	for _, it := range items {
		email = email || view.Str(it.Channel) == "email"
		hook = hook || view.Str(it.Channel) == "webhook"
	}
	if email {
		t.people = console.Names(h.d.Users(r))
	}
	if hook {
		res, err := r.API.FollowUp.GetWebhooksWithResponse(r.Ctx())
		if err := apis.Check(res, err); err != nil || res.JSON200 == nil || res.JSON200.Items == nil {
			h.d.Log.WarnContext(r.C, "deliveries: the webhooks' names did not load; showing ids", "error", err)
		} else {
			for _, w := range *res.JSON200.Items {
				t.hooks[view.Str(w.Id)] = hookName{shown: webhooks.Elide(view.Str(w.Url)), description: view.Str(w.Description)}
			}
		}
	}
	return t
}

func (t targets) row(v followupapi.DeliveryView) Row {
	r := Row{ID: view.Str(v.Id), Channel: view.Str(v.Channel), Kind: view.Str(v.Kind), Status: view.Str(v.Status),
		Reason: view.Str(v.Reason), Target: view.Str(v.Target), Address: view.Str(v.Address), FollowUpID: view.Str(v.FollowUpId),
		Urgent: v.Urgent != nil && *v.Urgent, LastError: view.Str(v.LastError), NotBefore: v.NotBefore, SentAt: v.SentAt,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if v.Attempts != nil {
		r.Attempts = *v.Attempts
	}
	r.To = r.Target
	switch r.Channel {
	case "email":
		if n := t.people[r.Target]; n != "" {
			r.To = n
		}
	case "webhook":
		r.To = Short(r.Target)
		if h, ok := t.hooks[r.Target]; ok {
			r.To, r.Hook = h.shown, h.description
		}
	}
	return r
}
