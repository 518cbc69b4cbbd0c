package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Deliveries: a message of the inbox (Notification) also goes out by email
// to the people it is addressed to who want it so, and to the webhook
// subscriptions that asked for its event kind. Each (message, channel,
// target) is one Delivery with an id derived from the three, so planning a
// message twice plans nothing new, and the SMTP Message-ID and the
// webhook-id (both built from the delivery id) are the same on every
// attempt: a receiver that sees a message twice after a crash between
// sending and recording can tell it is the same one.
//
// A person's daily digest is a delivery too, named by (person, local date).

// Channels a delivery goes on.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// KindDigest is the event kind of a daily digest.
const KindDigest = "digest"

// Delivery states. pending: to be sent now (by whoever holds its claim);
// held: waiting for the end of quiet hours; retrying: a send failed and a
// durable retry (a Temporal workflow) owns it; sent; failed: the retries
// ran out or the receiver refused for good (the dead-letter list);
// suppressed: decided not to send (Reason says why).
const (
	DeliveryPending    = "pending"
	DeliveryHeld       = "held"
	DeliveryRetrying   = "retrying"
	DeliverySent       = "sent"
	DeliveryFailed     = "failed"
	DeliverySuppressed = "suppressed"
)

// Reasons a delivery is held or suppressed.
const (
	ReasonQuietHours   = "quiet_hours"  // held: the recipient's quiet hours
	ReasonPreference   = "preference"   // the recipient does not take this kind by email
	ReasonNoAddress    = "no_address"   // the recipient set no email address
	ReasonDigest       = "digest"       // the daily digest will list it instead
	ReasonClosed       = "closed"       // the follow-up was closed before delivery
	ReasonUnsubscribed = "unsubscribed" // the webhook subscription was deleted (a disabled one's deliveries fail instead)
	ReasonEmpty        = "empty"        // a digest with nothing to list
	ReasonRetried      = "retried"      // sent again by an admin from the dead-letter list
	// ReasonContactPressure: held, a campaign's touch email that the
	// contact pressure deferred (touch_email.go).
	ReasonContactPressure = "contact_pressure"
)

// Delivery is one message on one channel to one target.
type Delivery struct {
	ID             string
	NotificationID string // empty for a digest
	FollowUpID     string // empty for a digest
	Channel        string
	Kind           string // event kind, or KindDigest
	// Target is the recipient's user id (email) or the subscription's id
	// (webhook); Address the email address it was planned for.
	Target, Address    string
	Language, TimeZone string
	Urgent             bool
	Status, Reason     string
	Attempts           int
	NotBefore          *time.Time
	LastError          string
	DigestDate         string // YYYY-MM-DD in the recipient's time zone
	CreatedAt          time.Time
	UpdatedAt          time.Time
	SentAt             *time.Time
}

// Done says whether nothing more will happen to d.
func (d Delivery) Done() bool {
	return d.Status == DeliverySent || d.Status == DeliverySuppressed || d.Status == DeliveryFailed
}

// Recipient is a person as the service knows them: from their last
// signed-in call (name, whether a manager, their teams) and their
// preferences (the defaults when they never chose).
type Recipient struct {
	UserID  string
	Name    string
	Manager bool
	Teams   []string
	Prefs   Preferences
}

// deliverySpace is the UUID namespace of delivery ids.
var deliverySpace = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/delivery"))

// DeliveryID names the delivery of message notificationID on channel to
// target.
func DeliveryID(notificationID, channel, target string) string {
	return uuid.NewSHA1(deliverySpace, []byte(notificationID+"\x00"+channel+"\x00"+target)).String()
}

// DigestID names a person's digest of one local date.
func DigestID(userID, date string) string {
	return uuid.NewSHA1(deliverySpace, []byte("digest\x00"+userID+"\x00"+date)).String()
}

// DigestKinds are the event kinds a digest lists instead of sending one
// email each: what is due. Escalations and hand-overs are news, not items
// falling due; they go at once.
var DigestKinds = []string{EventReminder, EventWinback}

// SuppressedWhenClosed says whether a delivery of the event kind is
// dropped when its follow-up is closed before it goes out: what asks
// someone to act (a reminder, an escalation, a win-back touch) is moot once
// the follow-up is done; a hand-over is news of a change that happened, and
// still goes (the ladder's reassignment closes the old owner's follow-up).
func SuppressedWhenClosed(kind string) bool { return kind != EventHandover }

// PlanEmail decides the email delivery of n to r at now:
//   - no address: suppressed (no_address), kept so "who was told" can say so;
//   - the kind not chosen for email: suppressed (preference);
//   - a person with a daily digest is not emailed what the digest will list
//     (reminders and win-back touches, unless urgent): suppressed (digest) —
//     the digest is never on top of the immediate messages it summarises;
//   - in quiet hours, unless urgent: held until they end;
//   - else pending, to be sent now.
//
// The in-app inbox has the message in every case.
func PlanEmail(n Notification, r Recipient, now time.Time) Delivery {
	kind := EventKindOf(n.Action)
	d := Delivery{ID: DeliveryID(n.ID, ChannelEmail, r.UserID), NotificationID: n.ID, FollowUpID: n.FollowUpID,
		Channel: ChannelEmail, Kind: kind, Target: r.UserID, Address: r.Prefs.Email, Language: r.Prefs.Language,
		TimeZone: r.Prefs.TimeZone, Urgent: n.Urgent, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now}
	switch hold := r.Prefs.HoldUntil(now, n.Urgent); {
	case r.Prefs.Email == "":
		d.Status, d.Reason = DeliverySuppressed, ReasonNoAddress
	case !r.Prefs.WantsEmail(kind):
		d.Status, d.Reason = DeliverySuppressed, ReasonPreference
	case r.Prefs.DigestHour != nil && !n.Urgent && slices.Contains(DigestKinds, kind):
		d.Status, d.Reason = DeliverySuppressed, ReasonDigest
	case hold.After(now):
		d.Status, d.Reason, d.NotBefore = DeliveryHeld, ReasonQuietHours, &hold
	}
	return d
}

// WhenClosed is d as planned for a follow-up that is closed (closed true):
// suppressed when it asks someone to act (SuppressedWhenClosed).
func (d Delivery) WhenClosed(closed bool) Delivery {
	if closed && SuppressedWhenClosed(d.Kind) && !d.Done() {
		d.Status, d.Reason, d.NotBefore = DeliverySuppressed, ReasonClosed, nil
	}
	return d
}

// PlanWebhook is the delivery of n to subscription s, pending: webhooks
// are for systems, which have no quiet hours.
func PlanWebhook(n Notification, s Subscription, now time.Time) Delivery {
	return Delivery{ID: DeliveryID(n.ID, ChannelWebhook, s.ID), NotificationID: n.ID, FollowUpID: n.FollowUpID,
		Channel: ChannelWebhook, Kind: EventKindOf(n.Action), Target: s.ID, Language: "en", TimeZone: "UTC",
		Urgent: n.Urgent, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now}
}

// Recipients of n among people: the person it is addressed to, or the
// managers of its team.
func RecipientsOf(n Notification, people []Recipient) []Recipient {
	var out []Recipient
	for _, p := range people {
		switch {
		case n.UserID != "" && p.UserID == n.UserID:
			out = append(out, p)
		case n.ManagersOf != "" && p.Manager && slices.Contains(p.Teams, n.ManagersOf):
			out = append(out, p)
		}
	}
	return out
}

// DigestDue says whether r's digest for the local date of now is due: they
// chose (or, a manager, kept) a digest hour and it has passed today in
// their time zone. It returns the local date.
func DigestDue(r Recipient, now time.Time) (date string, due bool) {
	if r.Prefs.DigestHour == nil || r.Prefs.Email == "" {
		return "", false
	}
	loc, err := time.LoadLocation(r.Prefs.TimeZone)
	if err != nil {
		return "", false
	}
	local := now.In(loc)
	return local.Format(time.DateOnly), local.Hour() >= *r.Prefs.DigestHour
}

// EndOfLocalDay is the instant the local date of now ends in tz.
func EndOfLocalDay(now time.Time, tz string) (time.Time, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc).UTC(), nil
}
