package domain

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Notification preferences: how each person wants to hear of the steps their
// follow-ups take. The in-app inbox always has every message (it is the
// record of what the person was told); the preferences choose which kinds of
// message also go by email, when not to disturb (quiet hours in the person's
// time zone: non-urgent messages wait until they end, urgent escalations go
// through), a daily digest hour, and the language and time zone messages are
// written in.

// Event kinds a person chooses channels for.
const (
	EventReminder   = "reminder"   // remind: your follow-up is due
	EventEscalation = "escalation" // escalate_manager, escalate_originator, raise_priority: overdue, managers are told
	EventHandover   = "handover"   // reassign, return_to_pool, reassigned: it changed hands
	EventWinback    = "winback"    // call, visit, offer: a win-back touch is due
	EventCampaign   = "campaign"   // a marketing campaign's approval requested, approved, cancelled, launch finished, completed
)

// EventKinds are the event kinds in the order the preferences list them.
func EventKinds() []string {
	return []string{EventReminder, EventEscalation, EventHandover, EventWinback, EventCampaign}
}

// EventKindOf is the event kind of a step's action ("" for none).
func EventKindOf(action string) string {
	switch action {
	case "remind":
		return EventReminder
	case "escalate_manager", ActionEscalateOriginator, "raise_priority":
		return EventEscalation
	case "reassign", "return_to_pool", ActionReassigned:
		return EventHandover
	case "call", "visit", "offer":
		return EventWinback
	case CampaignApprovalRequested, CampaignApproved, CampaignCancelled, CampaignLaunchFinished, CampaignCompleted:
		return EventCampaign
	}
	return ""
}

// Languages messages are written in.
var Languages = []string{"en", "zh-Hans"}

// QuietHours is a daily window, in the person's time zone, when non-urgent
// messages wait. From after To spans midnight (21:00–08:00).
type QuietHours struct {
	From string `json:"from"` // "HH:MM"
	To   string `json:"to"`
}

// Preferences are one person's.
type Preferences struct {
	UserID   string
	Language string
	TimeZone string
	// Email is where email messages go; empty: none are sent.
	Email string
	// EmailKinds are the event kinds also sent by email.
	EmailKinds []string
	Quiet      *QuietHours
	// DigestHour is the hour (0–23, the person's time zone) of the daily
	// digest of every open item due or overdue; nil: no digest.
	DigestHour *int
	UpdatedAt  time.Time
}

// DefaultPreferences are a person's until they choose: English, the
// console's default time zone, every kind by email once an address is set,
// no quiet hours, and for managers a morning digest at 08:00 of their teams'
// overdue items.
func DefaultPreferences(userID string, manager bool, tz string) Preferences {
	p := Preferences{UserID: userID, Language: "en", TimeZone: tz, EmailKinds: EventKinds()}
	if manager {
		eight := 8
		p.DigestHour = &eight
	}
	return p
}

// Check validates p: a known language, a time zone the server knows, an
// email address, known event kinds once each, quiet hours of two different
// HH:MM times, a digest hour 0–23. Every bad field is reported.
func (p Preferences) Check() error {
	var v apperr.Validation
	v.Check(slices.Contains(Languages, p.Language), "language", "invalid", "en or zh-Hans")
	if v.Check(p.TimeZone != "", "time_zone", "required", "an IANA time zone, such as Asia/Shanghai") {
		_, err := time.LoadLocation(p.TimeZone)
		v.Check(err == nil && p.TimeZone != "Local" && len(p.TimeZone) <= 100, "time_zone", "invalid", "an IANA time zone, such as Asia/Shanghai")
	}
	if p.Email != "" {
		a, err := mail.ParseAddress(p.Email)
		v.Check(err == nil && a.Address == p.Email && len(p.Email) <= 254, "email", "invalid", "an email address, such as ana@example.com")
	}
	seen := map[string]bool{}
	for _, k := range p.EmailKinds {
		if !slices.Contains(EventKinds(), k) {
			v.Add("email_kinds", "invalid", fmt.Sprintf("unknown event kind %q: %s", k, strings.Join(EventKinds(), ", ")))
			break
		}
		if seen[k] {
			v.Add("email_kinds", "duplicate", fmt.Sprintf("%q is listed twice", k))
			break
		}
		seen[k] = true
	}
	if q := p.Quiet; q != nil {
		from, ferr := clockMinutes(q.From)
		to, terr := clockMinutes(q.To)
		v.Check(ferr == nil, "quiet_hours.from", "invalid", "a time of day HH:MM, such as 21:00")
		v.Check(terr == nil, "quiet_hours.to", "invalid", "a time of day HH:MM, such as 08:00")
		if ferr == nil && terr == nil {
			v.Check(from != to, "quiet_hours.to", "invalid", "quiet hours must end at another time than they start")
		}
	}
	if p.DigestHour != nil {
		v.Check(*p.DigestHour >= 0 && *p.DigestHour <= 23, "digest_hour", "invalid", "an hour of the day, 0 to 23")
	}
	return v.Err()
}

// clockMinutes reads "HH:MM" (00:00–23:59) as minutes after midnight.
func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// WantsEmail says whether a message of the event kind goes by email too.
func (p Preferences) WantsEmail(kind string) bool {
	return p.Email != "" && slices.Contains(p.EmailKinds, kind)
}

// HoldUntil is when a message due at `at` may be sent: `at` itself, unless
// it falls in the quiet hours and is not urgent — then the end of the quiet
// hours (in the person's time zone; across a daylight-saving change, the
// wall-clock end time of that day).
func (p Preferences) HoldUntil(at time.Time, urgent bool) time.Time {
	if urgent || p.Quiet == nil {
		return at
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return at
	}
	from, ferr := clockMinutes(p.Quiet.From)
	to, terr := clockMinutes(p.Quiet.To)
	if ferr != nil || terr != nil || from == to {
		return at
	}
	local := at.In(loc)
	now := local.Hour()*60 + local.Minute()
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	end := func(d time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), to/60, to%60, 0, 0, loc).UTC()
	}
	switch {
	case from < to && now >= from && now < to: // 13:00–14:00
		return end(day)
	case from > to && now >= from: // 21:00–08:00, evening part
		return end(day.AddDate(0, 0, 1))
	case from > to && now < to: // 21:00–08:00, morning part
		return end(day)
	}
	return at
}
