package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/faults"
	"github.com/closeloop/closeloop/platform/mail"
	"github.com/closeloop/closeloop/platform/webhook"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/messages"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Poster sends webhook requests (webhook.Policy.Client: the SSRF guard
// checks every address it dials).
type Poster interface {
	Do(*http.Request) (*http.Response, error)
}

func adminOnly(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return errUnauthenticated()
	}
	if !p.Has(auth.RoleAdmin) {
		return apperr.Forbidden("forbidden", "only an admin may see and retry failed deliveries")
	}
	return nil
}

// errPermanent marks a failure that retrying cannot help.
var errPermanent = errors.New("permanent")

func isPermanent(err error) bool { return errors.Is(err, errPermanent) }

// permanent is a refusal the activity reports as non-retryable.
func permanent(code, msg string, cause error) error {
	return apperr.Rule(code, msg).Wrap(errors.Join(errPermanent, cause))
}

// errSuppressed says the attempt decided not to send (and recorded why).
var errSuppressed = errors.New("suppressed")

// recordedError is a failed attempt already recorded on its delivery.
type recordedError struct{ err error }

func (e recordedError) Error() string { return e.err.Error() }
func (e recordedError) Unwrap() error { return e.err }

// afterSend is the fault point between a sent message and its record: the
// kill tests stop the process here (platform/faults).
const afterSend = "notify.after-send"

// attempt sends j once. A follow-up closed meanwhile suppresses what asked
// someone to act, a deleted subscription its webhooks (errSuppressed,
// recorded); a disabled subscription's webhooks fail (failSwitchedOff). A failure is recorded (the attempt
// and its error; failed at once when permanent) and returned as a
// recordedError. Success is returned as nil and left to the caller to
// record: in a batch (the senders) or at once (the activity).
func (s *Deliveries) attempt(ctx context.Context, j job) error {
	d := j.d
	if j.n != nil && j.closed && domain.SuppressedWhenClosed(d.Kind) {
		return s.suppress(ctx, d, domain.ReasonClosed)
	}
	var err error
	switch d.Channel {
	case domain.ChannelEmail:
		err = s.sendEmail(ctx, j)
	case domain.ChannelWebhook:
		if j.sub == nil {
			return s.suppress(ctx, d, domain.ReasonUnsubscribed)
		}
		if !j.sub.Enabled {
			return s.failSwitchedOff(ctx, d, *j.sub)
		}
		err = s.sendWebhook(ctx, j)
	default:
		err = permanent("unknown_channel", "unknown channel "+d.Channel, nil)
	}
	if errors.Is(err, errSuppressed) {
		return err
	}
	faults.Point(afterSend)
	if err == nil {
		s.Metrics.Count(d.Channel, "sent", "")
		return nil
	}
	status := d.Status
	switch {
	case isPermanent(err):
		status = domain.DeliveryFailed
	case status == domain.DeliveryHeld:
		status = domain.DeliveryRetrying
	}
	if _, rerr := s.store.Attempted(ctx, d.ID, status, "", err.Error(), s.now()); rerr != nil {
		return err
	}
	if status == domain.DeliveryFailed {
		s.Metrics.Count(d.Channel, "failed", "")
		s.Log.Warn("notifications: a delivery was refused for good; it is on the dead-letter list", "delivery", d.ID, "channel", d.Channel, "error", err)
	} else {
		s.Metrics.Count(d.Channel, "retried", "")
	}
	return recordedError{err}
}

// failSwitchedOff puts d on the dead-letter list without sending it: its
// webhook subscription was switched off (after failures in a row, or by an
// admin) while d was on its way. Re-enabled, the subscription gets d with
// an admin's retry — an accepted message is not dropped because the
// receiver was down long enough to switch its subscription off. It
// returns a permanent failure: nothing to retry until then.
func (s *Deliveries) failSwitchedOff(ctx context.Context, d domain.Delivery, sub domain.Subscription) error {
	msg := "not sent: the webhook subscription is disabled (" + sub.DisabledReason + ")"
	ok, err := s.store.Settle(ctx, d.ID, domain.DeliveryFailed, "", msg,
		[]string{domain.DeliveryPending, domain.DeliveryHeld, domain.DeliveryRetrying}, s.now())
	if err != nil {
		return err
	}
	if ok {
		s.Metrics.Count(d.Channel, "failed", "")
		s.Log.Warn("notifications: a webhook delivery's subscription is disabled; it is on the dead-letter list", "delivery", d.ID, "subscription", sub.ID)
	}
	return recordedError{permanent("subscription_disabled", msg, nil)}
}

// suppress records that d is not sent, and why; it returns errSuppressed.
func (s *Deliveries) suppress(ctx context.Context, d domain.Delivery, reason string) error {
	ok, err := s.store.Settle(ctx, d.ID, domain.DeliverySuppressed, reason, "",
		[]string{domain.DeliveryPending, domain.DeliveryHeld, domain.DeliveryRetrying}, s.now())
	if err != nil {
		return err
	}
	if ok {
		s.Metrics.Count(d.Channel, "suppressed", reason)
	}
	return errSuppressed
}

// sendEmail renders and sends j: the message, or the digest.
func (s *Deliveries) sendEmail(ctx context.Context, j job) error {
	d := j.d
	if s.Mail == nil {
		return permanent("email_off", "no SMTP relay is configured (SMTP_HOST)", nil)
	}
	if j.touch != nil {
		return s.sendTouch(ctx, j)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var out messages.Rendered
	if j.n == nil {
		out, err = s.renderDigest(ctx, d, loc)
		if errors.Is(err, messages.ErrEmptyDigest) {
			return s.suppress(ctx, d, domain.ReasonEmpty)
		}
	} else if !j.n.AboutFollowUp() {
		out, err = messages.RenderCampaign(s.campaignMessage(d, *j.n, j.name, j.owner, loc))
	} else {
		out, err = messages.Render(s.message(d, *j.n, j.name, j.owner, loc, j.calendar))
	}
	if err != nil {
		return permanent("unrenderable", "the message could not be written", err)
	}
	headers := map[string]string{"X-Closeloop-Kind": d.Kind}
	if d.FollowUpID != "" {
		headers["X-Closeloop-Follow-Up"] = d.FollowUpID
	}
	if j.n != nil && j.n.CampaignID != "" {
		headers["X-Closeloop-Campaign"] = j.n.CampaignID
	}
	err = s.Mail.Send(ctx, mail.Message{ID: d.ID, To: mail.Address{Name: j.name, Address: d.Address}, Subject: out.Subject,
		Text: out.Text, HTML: out.HTML, Lang: d.Language, Headers: headers})
	if err != nil && mail.Permanent(err) {
		return permanent("email_refused", err.Error(), err)
	}
	return err
}

// message is what messages.Render needs to write n to one person.
func (s *Deliveries) message(d domain.Delivery, n domain.Notification, name, owner string, loc *time.Location, calendar string) messages.Message {
	it := s.item(n.FollowUpID, n.Kind, n.Title, n.CustomerID, n.Team, n.OwnerID, n.DueAt, calendar, n.ManagersOf != "")
	it.OwnerName = owner
	return messages.Message{Kind: d.Kind, Action: n.Action, Language: d.Language, Location: loc, TimeZone: d.TimeZone,
		RecipientName: name, ToManagers: n.ManagersOf != "", ManagersOf: n.ManagersOf, Urgent: n.Urgent, Level: n.Level, At: n.At, ActorName: n.ActorName,
		Item: it, InboxLink: s.link("/inbox"), SettingsLink: s.link("/settings/notifications")}
}

// campaignMessage is what messages.RenderCampaign needs to write n (a
// campaign's event) to one person.
func (s *Deliveries) campaignMessage(d domain.Delivery, n domain.Notification, name, owner string, loc *time.Location) messages.CampaignMessage {
	if owner == "" {
		owner = n.OwnerID
	}
	actor := n.ActorName
	if actor == "" && n.Actor != "workflow" {
		actor = n.Actor
	}
	return messages.CampaignMessage{Action: n.Action, Language: d.Language, Location: loc, TimeZone: d.TimeZone, RecipientName: name,
		ToManagers: n.ManagersOf != "", CampaignName: n.Title, Team: n.Team, OwnerName: owner, ActorName: actor, At: n.At,
		Counts: n.Counts, Note: n.Note, Link: s.link(n.Link), InboxLink: s.link("/inbox"), SettingsLink: s.link("/settings/notifications")}
}

// item is a follow-up as a message names it, with its link in the console:
// the overdue board's panel for managers, the customer's page for owners.
func (s *Deliveries) item(id, kind, title, customerID, team, owner string, due time.Time, calendar string, manager bool) messages.Item {
	link := s.link("/customers/" + url.PathEscape(customerID))
	if manager {
		link = s.link("/board/items/" + url.PathEscape(id))
	}
	return messages.Item{ID: id, Kind: kind, Title: title, CustomerID: customerID, Team: team, OwnerID: owner,
		DueAt: due, Calendar: calendar, Link: link}
}

func (s *Deliveries) link(path string) string {
	if s.Config.ConsoleURL == "" {
		return ""
	}
	return strings.TrimRight(s.Config.ConsoleURL, "/") + path
}

// WebhookEvent is the body of a webhook request (docs/notifications.md).
type WebhookEvent struct {
	// Type is "followup.<event kind>": followup.reminder,
	// followup.escalation, followup.handover, followup.winback.
	Type      string           `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Data      WebhookEventData `json:"data"`
}

// WebhookEventData is the message a webhook tells of.
type WebhookEventData struct {
	MessageID string `json:"message_id"`
	// FollowUpID is empty for a campaign's event (type
	// followup.campaign), which names its campaign instead.
	FollowUpID   string           `json:"follow_up_id"`
	CampaignID   string           `json:"campaign_id,omitempty"`
	Counts       map[string]int64 `json:"counts,omitempty"`
	Note         string           `json:"note,omitempty"`
	FollowUpKind string           `json:"follow_up_kind"`
	Title        string           `json:"title"`
	CustomerID   string           `json:"customer_id"`
	Team         string           `json:"team"`
	OwnerID      string           `json:"owner_id"`
	Level        int              `json:"level"`
	Action       string           `json:"action"`
	Urgent       bool             `json:"urgent"`
	DueAt        time.Time        `json:"due_at"`
	// To is who the message is for: a person (user_id) or a team's
	// managers (managers_of).
	UserID     string `json:"user_id,omitempty"`
	ManagersOf string `json:"managers_of,omitempty"`
	Actor      string `json:"actor,omitempty"`
	ActorName  string `json:"actor_name,omitempty"`
	// Text is the message in English, for chat tools that show it as is.
	Text string `json:"text"`
	Link string `json:"link,omitempty"`
}

// sendWebhook posts j's event to its subscription, signed with every
// secret in force, and records a failure on the subscription (which
// disables it after too many in a row).
func (s *Deliveries) sendWebhook(ctx context.Context, j job) error {
	d, n, sub := j.d, j.n, j.sub
	if n == nil || s.Webhook == nil {
		return permanent("webhook_off", "webhooks are not configured", nil)
	}
	msg := s.message(d, *n, "", j.owner, time.UTC, j.calendar)
	msg.Language = sub.Language
	text, link := "", msg.Item.Link
	if n.AboutFollowUp() {
		text = messages.Summary(msg)
	} else {
		cm := s.campaignMessage(d, *n, "", j.owner, time.UTC)
		cm.Language, cm.TimeZone = sub.Language, "UTC"
		text, link = messages.CampaignSummary(cm), cm.Link
	}
	ev := WebhookEvent{Type: "followup." + d.Kind, Timestamp: n.At, Data: WebhookEventData{
		MessageID: n.ID, FollowUpID: n.FollowUpID, FollowUpKind: n.Kind, Title: n.Title, CustomerID: n.CustomerID,
		CampaignID: n.CampaignID, Counts: n.Counts, Note: n.Note,
		Team: n.Team, OwnerID: n.OwnerID, Level: n.Level, Action: n.Action, Urgent: n.Urgent, DueAt: n.DueAt,
		UserID: n.UserID, ManagersOf: n.ManagersOf, Actor: n.Actor, ActorName: n.ActorName,
		Text: text, Link: link}}
	body, err := json.Marshal(ev)
	if err != nil {
		return permanent("unrenderable", "the event could not be written", err)
	}
	now := s.now()
	h, err := webhook.Headers(d.ID, now, body, sub.Signing(now)...)
	if err != nil {
		return permanent("unsignable", "the event could not be signed", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return permanent("bad_url", "the subscription's URL is not usable", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Closeloop-Webhooks/1")
	sendErr := s.post(req)
	if sendErr == nil && sub.Failures == 0 {
		return nil // nothing to reset: spare the subscription's row a write per delivery
	}
	reason := ""
	if sendErr != nil {
		reason = sendErr.Error()
	}
	disabled, err := s.hooks.Attempt(ctx, sub.ID, sendErr == nil, reason, now, s.Config.DisableAfter)
	if err != nil {
		s.Log.Warn("notifications: recording a webhook attempt on its subscription failed", "subscription", sub.ID, "error", err)
	}
	if disabled {
		s.Log.Warn("notifications: a webhook subscription was disabled after repeated failures", "subscription", sub.ID, "last_error", reason)
	}
	return sendErr
}

// post sends req; any answer but 2xx is a failure (a redirect too: the
// subscription's URL should be changed instead). The URL is never in the
// error: chat tools put their token in it.
func (s *Deliveries) post(req *http.Request) error {
	resp, err := s.Webhook.Do(req)
	if err != nil {
		var refused *webhook.RefusedError
		if errors.As(err, &refused) {
			return permanent("webhook_refused", refused.Error(), err)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook request failed: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook receiver answered %s", resp.Status)
	}
	return nil
}
