package domain

import (
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Touch actions: what the person a touch is for does.
const (
	ActionCall  = "call"
	ActionVisit = "visit"
	ActionOffer = "offer"
	ActionEvent = "event"
	// ActionEmail is an email to the customer's contact through the
	// follow-up service's mail delivery (email.go), not a plan for a person.
	ActionEmail = "email"
)

// TouchAction is the touch a one-touch campaign (every type but win-back)
// makes through its first channel: a call, a visit, an event invitation,
// or an email to the customer (email.go).
func TouchAction(channels []string) string {
	if len(channels) == 0 {
		return ActionCall
	}
	switch channels[0] {
	case ChannelVisit:
		return ActionVisit
	case ChannelEvent:
		return ActionEvent
	case ChannelEmail:
		return ActionEmail
	}
	return ActionCall
}

// TouchID is the id of a campaign's touch of a customer at a step of its
// cadence (0 for a one-touch campaign): the same touch has the same id on
// every retry, so it is planned and counted once.
func TouchID(campaignID, customerID string, step int) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/touch\x00"+campaignID+"\x00"+customerID+"\x00"+strconv.Itoa(step))).String()
}

// Limits is the contact pressure in force: every limit holds at once
// (marketing.contact_pressure: at most k touches in each window).
type Limits []Pressure

// NextAllowed is the earliest instant from at at which a touch keeps every
// limit, given the customer's previous touches by any campaign; ok when
// that is at itself.
func (l Limits) NextAllowed(previous []time.Time, at time.Time) (time.Time, bool) {
	next := at
	for _, p := range l {
		if t, ok := p.NextAllowed(previous, at); !ok && t.After(next) {
			next = t
		}
	}
	return next, next.Equal(at)
}

// Longest is the longest window of the limits: touches older than it no
// longer count.
func (l Limits) Longest() time.Duration {
	var w time.Duration
	for _, p := range l {
		w = max(w, p.Window)
	}
	return w
}

// OneTouchDue is when a one-touch campaign's touch is due: by the end of the
// campaign's last day, or, when the contact pressure defers it past that,
// never (ok false: the customer stays enrolled without a touch).
func OneTouchDue(c Campaign, notBefore time.Time) (time.Time, bool) {
	end := c.EndsOn.Add(24*time.Hour - time.Second)
	return end, !notBefore.After(end)
}
