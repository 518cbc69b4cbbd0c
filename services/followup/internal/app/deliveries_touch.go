package app

import (
	"context"
	"strconv"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/mail"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/messages"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Touch emails: a marketing campaign's emails to customers, handed over
// by its workflows and delivered by the email channel like every message
// (domain/touch_email.go). The outbox is the deliveries table: a touch
// email is a pending delivery nobody has claimed, which the first
// dispatcher to look claims and sends (Run), retried by its Delivery
// workflow when the relay fails, on the dead-letter list when it gives up.
// One the contact pressure deferred is held, unclaimed: the sweep hands it
// to its Delivery workflow, which sends it at its instant.

// SkipEmailOff is QueueTouchEmails' answer when no SMTP relay is
// configured: nothing is queued, and the workflow plans the touches for
// their owners instead.
const SkipEmailOff = "email_off"

// MaxTouchEmails bounds one QueueTouchEmails call (a segment page's).
const MaxTouchEmails = 1000

// TouchContentInput is a campaign's email as the workflow hands it over.
type TouchContentInput struct {
	CampaignID, CampaignName, Subject, Body, Language string
}

// TouchEmailInput is one touch's email as the workflow hands it over.
type TouchEmailInput struct {
	TouchID, CustomerID string
	Step                int
	Address, Name       string
	UnsubscribeURL      string
	// NotBefore: held until then (the contact pressure deferred it).
	NotBefore *time.Time
}

// QueueTouchEmails puts touch emails in the outbox and returns each one's
// delivery id, in order (the followup.QueueTouchEmails activity, run by
// the service itself: there is no caller to authorise). Idempotent on the
// touch id: a touch handed over again keeps its first delivery, sent or
// not, and is never emailed twice. Without an SMTP relay nothing is queued
// and skip is SkipEmailOff. A malformed email refuses the call
// (validation_failed) before anything is stored.
func (s *Deliveries) QueueTouchEmails(ctx context.Context, in TouchContentInput, emails []TouchEmailInput) (ids []string, skip string, err error) {
	if s.Mail == nil {
		return nil, SkipEmailOff, nil
	}
	if len(emails) == 0 {
		return []string{}, "", nil
	}
	if len(emails) > MaxTouchEmails {
		var v apperr.Validation
		v.Add("emails", "too_many", "at most "+strconv.Itoa(MaxTouchEmails))
		return nil, "", v.Err()
	}
	c, err := domain.NewTouchContent(in.CampaignID, in.CampaignName, in.Subject, in.Body, in.Language)
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	es := make([]domain.TouchEmail, len(emails))
	ids = make([]string, len(emails))
	for i, e := range emails {
		te, err := domain.NewTouchEmail("emails["+strconv.Itoa(i)+"].", e.TouchID, e.CustomerID, e.Step, e.Address, e.Name, e.UnsubscribeURL, c, now)
		if err != nil {
			return nil, "", err
		}
		te.NotBefore = e.NotBefore
		es[i], ids[i] = te, te.DeliveryID
	}
	if err := s.store.QueueTouchEmails(ctx, c, es, now); err != nil {
		return nil, "", err
	}
	s.Nudge()
	return ids, "", nil
}

// Nudge wakes the dispatcher of this replica now rather than at its next
// poll (a touch email was just queued).
func (s *Deliveries) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// ClaimNewOnce claims the touch emails nobody has claimed yet and enqueues
// them; it returns how many it took.
func (s *Deliveries) ClaimNewOnce(ctx context.Context, limit int, enqueue func(job)) (int, error) {
	claim := s.claimFrom(s.now())
	ds, err := s.store.ClaimNew(ctx, claim, limit)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		j, err := s.load(ctx, d)
		if err != nil {
			return 0, err // its claim runs out; the sweep takes it
		}
		j.claim = claim
		enqueue(j)
	}
	return len(ds), nil
}

// touchJob is what sending a touch email needs.
type touchJob struct {
	email   domain.TouchEmail
	content domain.TouchContent
}

// sendTouch renders and sends a touch email: the campaign's text and the
// footer with the unsubscribe link, which the headers offer too, for mail
// clients' own unsubscribe button (RFC 2369, one-click per RFC 8058).
func (s *Deliveries) sendTouch(ctx context.Context, j job) error {
	d, t := j.d, j.touch
	out, err := messages.RenderTouch(messages.Touch{Subject: t.content.Subject, Body: t.content.Body, Language: t.content.Language,
		UnsubscribeURL: t.email.UnsubscribeURL})
	if err != nil {
		return permanent("unrenderable", "the campaign email could not be written", err)
	}
	headers := map[string]string{"X-Closeloop-Kind": domain.KindTouch, "X-Closeloop-Campaign": t.content.CampaignID,
		"List-Unsubscribe": "<" + t.email.UnsubscribeURL + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	err = s.Mail.Send(ctx, mail.Message{ID: d.ID, To: mail.Address{Name: t.email.Name, Address: d.Address}, Subject: out.Subject,
		Text: out.Text, HTML: out.HTML, Lang: d.Language, Headers: headers})
	if err != nil && mail.Permanent(err) {
		return permanent("email_refused", err.Error(), err)
	}
	return err
}
