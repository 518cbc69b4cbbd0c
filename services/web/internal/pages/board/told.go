package board

import (
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Told is a message one of the follow-up's steps sent: to a person, or to
// the managers of a team; who read it when; and how it went out by email
// and webhook. A manager sees whether the owner has seen the reminder — or
// could not have, because it never reached them — before acting on an
// escalation.
type Told struct {
	Action     string
	At         *time.Time
	UserID     string
	ManagersOf string
	Urgent     bool
	Reads      []Read
	Deliveries []Delivery
}

// Read is one reader's reading.
type Read struct {
	UserID string
	At     *time.Time
}

// Delivery is the message on one channel to one target: a person's email
// (Target their user id), or a webhook subscription (Target its id).
type Delivery struct {
	Channel, Target, Kind string
	// Status is pending, held, retrying, sent, failed or suppressed;
	// Reason why it is held or suppressed.
	Status, Reason string
	Attempts       int
	LastError      string
	NotBefore      *time.Time
	SentAt         *time.Time
}

func toldOf(in []followupapi.Told) []Told {
	out := make([]Told, 0, len(in))
	for _, t := range in {
		o := Told{Action: view.Str(t.Action), At: t.At, UserID: view.Str(t.UserId), ManagersOf: view.Str(t.ManagersOf),
			Urgent: t.Urgent != nil && *t.Urgent}
		if t.Reads != nil {
			for _, r := range *t.Reads {
				o.Reads = append(o.Reads, Read{UserID: view.Str(r.UserId), At: r.At})
			}
		}
		if t.Deliveries != nil {
			for _, d := range *t.Deliveries {
				o.Deliveries = append(o.Deliveries, deliveryOf(d))
			}
		}
		out = append(out, o)
	}
	return out
}

func deliveryOf(d followupapi.DeliveryView) Delivery {
	o := Delivery{Channel: view.Str(d.Channel), Target: view.Str(d.Target), Kind: view.Str(d.Kind), Status: view.Str(d.Status),
		Reason: view.Str(d.Reason), LastError: view.Str(d.LastError), NotBefore: d.NotBefore, SentAt: d.SentAt}
	if d.Attempts != nil {
		o.Attempts = *d.Attempts
	}
	return o
}

// Delivery says in the user's language how message t went out on one
// channel: "Email to Ana: sent 14:03", "Webhook 1a2b3c4d: failed: …".
// Times are the user's, the clock only when on the message's day.
func (p itemPage) Delivery(t Told, d Delivery) string {
	outcome := p.outcome(t, d)
	if d.Channel == "webhook" {
		return p.T("board.delivery.webhook", "ID", short(d.Target), "Outcome", outcome)
	}
	return p.T("board.delivery.email", "Name", p.Item.Person(d.Target), "Outcome", outcome)
}

func (p itemPage) outcome(t Told, d Delivery) string {
	at := func(v *time.Time) string { return p.clock(t.At, v) }
	switch d.Status {
	case "sent":
		return p.T("board.delivery.sent", "Time", at(d.SentAt))
	case "pending":
		return p.T("board.delivery.pending")
	case "held":
		return p.T("board.delivery.held", "Time", at(d.NotBefore))
	case "retrying":
		if d.LastError == "" {
			return p.T("board.delivery.retrying_plain", "Count", d.Attempts)
		}
		return p.T("board.delivery.retrying", "Count", d.Attempts, "Error", d.LastError)
	case "failed":
		return p.T("board.delivery.failed", "Error", d.LastError)
	case "suppressed":
		id := "board.delivery.not_sent." + d.Reason
		if s := p.T(id, "Kind", p.T("board.delivery.kinds."+d.Kind)); s != id {
			return s
		}
		return p.T("board.delivery.not_sent", "Reason", d.Reason)
	}
	return d.Status
}

// clock is t in the user's time zone: the time of day when it falls on
// the local day of ref (the message's), else the date and time.
func (p itemPage) clock(ref, t *time.Time) string {
	if t == nil {
		return ""
	}
	if ref != nil && p.Date(ref) == p.Date(t) {
		return t.In(p.TZ).Format("15:04")
	}
	return p.DateTime(t)
}

// short is the first part of an id, enough to tell subscriptions apart.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
