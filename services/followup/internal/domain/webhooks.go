package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/webhook"
)

// Webhook subscriptions: an administrator registers a URL that is sent the
// follow-up messages of the event kinds it asks for (reminder, escalation,
// handover, winback), each signed with the subscription's secret (Standard
// Webhooks, platform/webhook). Rules here:
//
//   - what a valid subscription is (Check): a URL the administrators' policy
//     allows (https, public addresses — platform/webhook.Policy), known
//     event kinds once each, a short description;
//   - which secrets sign at an instant (Signing): the current one, and while
//     a rotation's overlap lasts the previous one too, so a receiver keeps
//     verifying whichever it holds until it is updated;
//   - when a failing receiver is switched off (RecordAttempt): after a
//     number of consecutive failed attempts, with the reason kept for the
//     administrator; an administrator switches it on again (Enable), which
//     starts the count afresh.

// SecretOverlap is how long a rotated-out secret keeps signing, so a
// receiver can be given the new one without missing a delivery.
const SecretOverlap = 24 * time.Hour

// MaxWebhookDescription is the longest description, in characters.
const MaxWebhookDescription = 300

// maxDisabledReason bounds the stored reason (its column holds 1000
// characters); a receiver's error text is cut to fit.
const maxDisabledReason = 1000

var (
	// ErrWebhookNotFound is a subscription id that is not stored.
	ErrWebhookNotFound = apperr.NotFound("webhook_not_found", "no such webhook subscription")
	// ErrWebhooksForbidden refuses everyone but administrators: a webhook
	// sends every follow-up message of its kinds out of the company.
	ErrWebhooksForbidden = apperr.Forbidden("forbidden", "only an admin may manage webhook subscriptions")
)

// Subscription is one receiver of webhook deliveries.
type Subscription struct {
	ID          string
	URL         string
	Description string
	// Language is what the events' text is written in (Languages): a
	// Chinese team's chat gets Chinese.
	Language string
	// EventKinds are the kinds it is sent (EventKinds()).
	EventKinds []string
	// Secret signs every delivery; PreviousSecret also signs until
	// PreviousUntil (after a rotation).
	Secret, PreviousSecret webhook.Secret
	PreviousUntil          *time.Time
	// Enabled: deliveries are planned for it. DisabledReason and DisabledAt
	// say why and when it was switched off (failures, or an administrator).
	Enabled        bool
	DisabledReason string
	DisabledAt     *time.Time
	// Failures counts consecutive failed delivery attempts, failing since
	// FailingSince (the first of them); a success resets both.
	Failures     int
	FailingSince *time.Time
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Check validates s under the administrators' policy p: the URL (https
// only unless p.AllowHTTP; no private, loopback or other non-public address
// unless p.AllowPrivate), at least one event kind, each known and listed
// once, a description of at most MaxWebhookDescription characters. Every
// bad field is reported in one 422. The secret is checked where it is read
// (webhook.ParseSecret).
func (s Subscription) Check(p webhook.Policy) error {
	var v apperr.Validation
	var urlErr *apperr.Error
	if err := p.CheckURL(s.URL); errors.As(err, &urlErr) {
		for _, f := range urlErr.Fields {
			v.Add(f.Field, f.Code, f.Message)
		}
	} else if err != nil {
		return err
	}
	if v.Check(len(s.EventKinds) > 0, "event_kinds", "required", "at least one event kind: "+strings.Join(EventKinds(), ", ")) {
		seen := map[string]bool{}
		for _, k := range s.EventKinds {
			if !slices.Contains(EventKinds(), k) {
				v.Add("event_kinds", "invalid", fmt.Sprintf("unknown event kind %q: %s", k, strings.Join(EventKinds(), ", ")))
				break
			}
			if seen[k] {
				v.Add("event_kinds", "duplicate", fmt.Sprintf("%q is listed twice", k))
				break
			}
			seen[k] = true
		}
	}
	v.Check(slices.Contains(Languages, s.Language), "language", "invalid", "en or zh-Hans")
	v.Check(utf8.RuneCountInString(s.Description) <= MaxWebhookDescription, "description", "too_long",
		fmt.Sprintf("at most %d characters", MaxWebhookDescription))
	return v.Err()
}

// Wants says whether a message of the event kind goes to s: it is enabled
// and subscribed to the kind.
func (s Subscription) Wants(kind string) bool {
	return s.Enabled && slices.Contains(s.EventKinds, kind)
}

// Signing are the secrets a delivery at now is signed with: the current
// one, and the previous one while now is before PreviousUntil.
func (s Subscription) Signing(now time.Time) []webhook.Secret {
	out := []webhook.Secret{s.Secret}
	if !s.PreviousSecret.IsZero() && s.PreviousUntil != nil && now.Before(*s.PreviousUntil) {
		out = append(out, s.PreviousSecret)
	}
	return out
}

// SecretHint shows which secret s signs with without revealing it: whsec_…
// and the secret's last four characters, as the administrator who saved it
// sees them at its end.
func (s Subscription) SecretHint() string {
	full := s.Secret.Reveal()
	if len(full) < len(webhook.SecretPrefix)+8 {
		return s.Secret.String()
	}
	return webhook.SecretPrefix + "…" + full[len(full)-4:]
}

// Rotate makes next the signing secret; the current one becomes the
// previous one and keeps signing until now+overlap (no longer than now when
// overlap is not positive). A secret rotated out before was already
// replaced by its successor: only one previous secret signs at a time.
func (s *Subscription) Rotate(next webhook.Secret, now time.Time, overlap time.Duration) {
	s.PreviousSecret, s.Secret = s.Secret, next
	if overlap > 0 {
		until := now.Add(overlap)
		s.PreviousUntil = &until
	} else {
		s.PreviousSecret, s.PreviousUntil = webhook.Secret{}, nil
	}
	s.UpdatedAt = now
}

// RecordAttempt records a delivery attempt's outcome at now. A success
// resets the failure count. A failure counts; the first of a run sets
// FailingSince; once disableAfter (when positive) failures in a row are
// reached an enabled subscription is disabled, saying why (reason is the
// last failure's), and RecordAttempt returns true — only then, on the
// transition: a subscription already disabled keeps the reason it has.
func (s *Subscription) RecordAttempt(ok bool, reason string, now time.Time, disableAfter int) (disabled bool) {
	if ok {
		s.Failures, s.FailingSince = 0, nil
		return false
	}
	s.Failures++
	if s.FailingSince == nil {
		since := now
		s.FailingSince = &since
	}
	if !s.Enabled || disableAfter <= 0 || s.Failures < disableAfter {
		return false
	}
	head := fmt.Sprintf("disabled after %d consecutive failed deliveries since %s; last: ",
		s.Failures, s.FailingSince.UTC().Format(time.RFC3339))
	s.disable(head+clip(reason, maxDisabledReason-utf8.RuneCountInString(head)), now)
	return true
}

// Disable switches s off at an administrator's request, saying who.
func (s *Subscription) Disable(by string, now time.Time) {
	if s.Enabled {
		s.disable("disabled by "+by, now)
	}
}

func (s *Subscription) disable(reason string, now time.Time) {
	at := now
	s.Enabled, s.DisabledReason, s.DisabledAt, s.UpdatedAt = false, reason, &at, now
}

// Enable switches s on again, with a clean slate: no failures counted, no
// reason for being off.
func (s *Subscription) Enable(now time.Time) {
	s.Enabled, s.DisabledReason, s.DisabledAt = true, "", nil
	s.Failures, s.FailingSince = 0, nil
	s.UpdatedAt = now
}

// clip cuts s to at most n characters (never inside one), marking the cut
// with an ellipsis.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
