package deliveries

import (
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/pages/webhooks"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// KindTouch is the kind of a campaign's email to a customer (a touch of
// the marketing service's campaigns): like a person's daily digest it
// belongs to no follow-up, and its target is the customer.
const KindTouch = "touch"

// Row is one delivery as the list shows it.
type Row struct {
	ID, Channel, Kind, Status, Reason string
	// Target is the person (email), the customer (a touch's email) or the
	// subscription (webhook) it goes to; To names it (a person's or
	// customer's name, a webhook's elided address), Hook is a webhook's
	// description. CustomerID is a touch's customer, for a link.
	Target, To, Hook string
	CustomerID       string
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

// targets names the people, customers and webhooks deliveries go to:
// people from the user directory, customers (of campaign emails) from the
// customer service, webhooks from their subscriptions. Names only decorate
// ids: a service that does not answer is logged and the ids show.
type targets struct {
	x         *view.Ctx
	people    map[string]string
	customers map[string]string
	hooks     map[string]hookName
}

type hookName struct{ shown, description string }

func (h *handler) targets(r *console.Request, items []followupapi.DeliveryView) targets {
	t := targets{x: r.X, hooks: map[string]hookName{}, customers: map[string]string{}}
	var email, hook bool
	var customers []string
	for _, it := range items {
		if view.Str(it.Kind) == KindTouch {
			if id := view.Str(it.Target); id != "" && !slices.Contains(customers, id) {
				customers = append(customers, id)
			}
			continue
		}
		email = email || view.Str(it.Channel) == "email"
		hook = hook || view.Str(it.Channel) == "webhook"
	}
	if email {
		t.people = console.Names(h.d.Users(r))
	}
	if len(customers) > 0 {
		joined, limit := strings.Join(customers, ","), len(customers)
		res, err := r.API.Customer.GetCustomersWithResponse(r.Ctx(), &customerapi.GetCustomersParams{Ids: &joined, Limit: &limit})
		if err := apis.Check(res, err); err != nil || res.JSON200 == nil || res.JSON200.Items == nil {
			h.d.Log.WarnContext(r.C, "deliveries: the customers' names did not load; showing ids", "error", err)
		} else {
			for _, c := range *res.JSON200.Items {
				t.customers[view.Str(c.Id)] = view.Str(c.Name)
			}
		}
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
	switch {
	case r.Kind == KindTouch:
		r.CustomerID, r.To = r.Target, t.customers[r.Target]
		if r.To == "" && t.x != nil {
			r.To = t.x.T("deliveries.customer", "ID", Short(r.Target))
		}
	case r.Channel == "email":
		if n := t.people[r.Target]; n != "" {
			r.To = n
		}
	case r.Channel == "webhook":
		r.To = Short(r.Target)
		if h, ok := t.hooks[r.Target]; ok {
			r.To, r.Hook = h.shown, h.description
		}
	}
	return r
}
