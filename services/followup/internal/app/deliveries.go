// Deliveries: the email and webhook channels of notifications
// (domain/delivery.go). The dispatcher turns each new inbox message into
// its deliveries and sends them at once; what must wait (quiet hours) or
// failed is handed to a Delivery workflow (workflows/notify), which waits
// and retries durably and calls Send again through an activity. Send is the
// one way a delivery goes out, whoever calls it.

package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/faults"
	"github.com/closeloop/closeloop/platform/mail"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Mailer sends one email (platform/mail.Sender).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Retrier hands a delivery to its durable Delivery workflow, which sends it
// at notBefore (nil: with retries from now on).
type Retrier interface {
	Retry(ctx context.Context, deliveryID string, notBefore *time.Time) error
}

// DeliveryMetrics counts what happens to deliveries: outcome sent, failed
// (given up: the dead-letter list), retried (an attempt failed and will be
// retried), held (quiet hours) or suppressed, with the reason.
type DeliveryMetrics interface {
	Count(channel, outcome, reason string)
}

// DeliveryConfig holds the channels' settings.
type DeliveryConfig struct {
	// Claim is how long a replica holds a pending delivery it is sending;
	// one whose claim ran out (the replica died) is sent by the sweep.
	Claim time.Duration
	// Poll is how often new messages are looked for; DigestCheck how
	// often the digests due.
	Poll, DigestCheck time.Duration
	// Concurrency bounds the sends in flight per replica.
	Concurrency int
	// DisableAfter disables a webhook subscription after that many
	// consecutive failed attempts.
	DisableAfter int
	// ConsoleURL is the web console's base URL, for links in messages.
	ConsoleURL string
}

// Deliveries is the channels' use cases.
type Deliveries struct {
	store     *store.Deliveries
	people    *store.Recipients
	hooks     *store.Webhooks
	followUps *store.FollowUps
	// Mail is nil when no SMTP relay is configured: no email is planned.
	Mail    Mailer
	Webhook Poster
	Retry   Retrier
	Metrics DeliveryMetrics
	Config  DeliveryConfig
	Log     *slog.Logger
	now     func() time.Time
}

// NewDeliveries returns the use cases over their repositories.
func NewDeliveries(s *store.Deliveries, people *store.Recipients, hooks *store.Webhooks, fus *store.FollowUps, log *slog.Logger) *Deliveries {
	return &Deliveries{store: s, people: people, hooks: hooks, followUps: fus, Log: log, now: time.Now, Metrics: noMetrics{},
		Config: DeliveryConfig{Claim: time.Minute, Poll: 500 * time.Millisecond, DigestCheck: time.Minute, Concurrency: 16, DisableAfter: 20}}
}

type noMetrics struct{}

func (noMetrics) Count(string, string, string) {}

// Run dispatches new messages, sends what the sweep finds unsent and the
// daily digests, until ctx ends.
func (s *Deliveries) Run(ctx context.Context) error {
	poll := time.NewTicker(s.Config.Poll)
	defer poll.Stop()
	var lastSweep, lastDigest time.Time
	for {
		if n, err := s.DispatchOnce(ctx, 500); err != nil && ctx.Err() == nil {
			s.Log.Warn("notifications: dispatching new messages failed; trying again", "error", err)
		} else if n == 500 {
			continue // more are waiting
		}
		now := s.now()
		if now.Sub(lastSweep) >= s.Config.Claim/2 {
			lastSweep = now
			if err := s.SweepOnce(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("notifications: the sweep of unsent deliveries failed; trying again", "error", err)
			}
		}
		if now.Sub(lastDigest) >= s.Config.DigestCheck {
			lastDigest = now
			if err := s.DigestsOnce(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("notifications: sending daily digests failed; trying again", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		}
	}
}

// DispatchOnce plans the deliveries of up to limit new messages and sends
// those that go now; it returns how many messages it took.
func (s *Deliveries) DispatchOnce(ctx context.Context, limit int) (int, error) {
	ns, err := s.store.Undispatched(ctx, limit)
	if err != nil {
		return 0, err
	}
	var held []domain.Delivery
	for _, n := range ns {
		plan, err := s.plan(ctx, n)
		if err != nil {
			return 0, err
		}
		now := s.now()
		mine, err := s.store.Plan(ctx, n.ID, plan, now.Add(s.Config.Claim), now)
		if err != nil {
			return 0, err
		}
		for _, d := range plan {
			switch d.Status {
			case domain.DeliverySuppressed:
				s.Metrics.Count(d.Channel, "suppressed", d.Reason)
			case domain.DeliveryHeld:
				s.Metrics.Count(d.Channel, "held", d.Reason)
				s.handOver(ctx, d, d.NotBefore)
			}
		}
		held = append(held, mine...)
	}
	s.sendAll(ctx, held)
	return len(ns), nil
}

// plan is every delivery of n: an email to each recipient (when email is
// configured) and a webhook to each subscription of its event kind.
func (s *Deliveries) plan(ctx context.Context, n domain.Notification) ([]domain.Delivery, error) {
	now := s.now()
	var out []domain.Delivery
	if s.Mail != nil {
		people, err := s.people.Of(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, r := range people {
			out = append(out, domain.PlanEmail(n, r, now))
		}
	}
	subs, err := s.hooks.For(ctx, domain.EventKindOf(n.Action))
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		out = append(out, domain.PlanWebhook(n, sub, now))
	}
	return out, nil
}

// SweepOnce sends the pending deliveries nobody holds (their sender died
// between planning or sending and recording, or could not reach Temporal
// to hand a failure over), and hands the held ones nobody handed over to
// their workflows.
func (s *Deliveries) SweepOnce(ctx context.Context) error {
	for _, status := range []string{domain.DeliveryPending, domain.DeliveryHeld} {
		for {
			now := s.now()
			ds, err := s.store.ClaimStale(ctx, status, now, now.Add(s.Config.Claim), 200)
			if err != nil {
				return err
			}
			if len(ds) > 0 {
				s.Log.Info("notifications: taking over deliveries nobody holds", "status", status, "deliveries", len(ds))
			}
			if status == domain.DeliveryPending {
				s.sendAll(ctx, ds)
			} else {
				for _, d := range ds {
					s.handOver(ctx, d, d.NotBefore)
				}
			}
			if len(ds) < 200 {
				break
			}
		}
	}
	return nil
}

// sendAll sends ds, Concurrency at a time; a delivery whose attempt fails
// is handed to its workflow to retry.
func (s *Deliveries) sendAll(ctx context.Context, ds []domain.Delivery) {
	sem := make(chan struct{}, max(1, s.Config.Concurrency))
	var wg sync.WaitGroup
	for _, d := range ds {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.Send(ctx, d.ID); err != nil && !isPermanent(err) {
				s.handOver(ctx, d, nil)
			}
		}()
	}
	wg.Wait()
}

// handOver gives d to its workflow: a held delivery to wait for notBefore,
// a failed attempt's to retry. When Temporal cannot be reached the delivery
// keeps its status and its claim runs out, so the sweep tries again.
func (s *Deliveries) handOver(ctx context.Context, d domain.Delivery, notBefore *time.Time) {
	if s.Retry == nil {
		return
	}
	if err := s.Retry.Retry(ctx, d.ID, notBefore); err != nil {
		s.Log.Warn("notifications: handing a delivery to its workflow failed; the sweep tries again", "delivery", d.ID, "error", err)
		return
	}
	// The workflow owns it now: no claim for the sweep to run out.
	if notBefore != nil {
		_, _ = s.store.Settle(ctx, d.ID, domain.DeliveryHeld, d.Reason, "", []string{domain.DeliveryHeld}, s.now())
	} else {
		_, _ = s.store.Settle(ctx, d.ID, domain.DeliveryRetrying, "", "", []string{domain.DeliveryPending}, s.now())
	}
}

// GiveUp records that d's retries ran out: it is failed, on the
// dead-letter list, with the last error.
func (s *Deliveries) GiveUp(ctx context.Context, id, lastError string) error {
	d, err := s.store.Get(ctx, id)
	if err != nil {
		return err
	}
	ok, err := s.store.Settle(ctx, id, domain.DeliveryFailed, "", lastError,
		[]string{domain.DeliveryPending, domain.DeliveryHeld, domain.DeliveryRetrying}, s.now())
	if err == nil && ok {
		s.Metrics.Count(d.Channel, "failed", "")
		s.Log.Warn("notifications: a delivery failed for good; it is on the dead-letter list", "delivery", id, "channel", d.Channel, "error", lastError)
	}
	return err
}

// errPermanent marks a failure that retrying cannot help.
var errPermanent = errors.New("permanent")

func isPermanent(err error) bool { return errors.Is(err, errPermanent) }

// permanent is a refusal the activity reports as non-retryable.
func permanent(code, msg string, cause error) error {
	return apperr.Rule(code, msg).Wrap(errors.Join(errPermanent, cause))
}

// afterSend is the fault point between a sent message and its record: the
// kill tests stop the process here (platform/faults).
const afterSend = "notify.after-send"

// Send sends delivery id unless it is done: a follow-up closed meanwhile
// suppresses what asked its owner to act; a disabled or deleted
// subscription suppresses its webhooks. It records the attempt. A failure
// is returned (permanent ones wrapped so the activity does not retry them).
func (s *Deliveries) Send(ctx context.Context, id string) error {
	d, err := s.store.Get(ctx, id)
	if err != nil || d.Done() {
		return err
	}
	var n *domain.Notification
	calendar := ""
	if d.NotificationID != "" {
		msg, err := s.store.Notification(ctx, d.NotificationID)
		if err != nil {
			return err
		}
		n = &msg
		f, err := s.followUps.Get(ctx, d.FollowUpID)
		if err != nil {
			return err
		}
		calendar = f.Calendar
		if domain.SuppressedWhenClosed(d.Kind) && f.Closed() {
			return s.suppress(ctx, d, domain.ReasonClosed)
		}
	}
	var sendErr error
	switch d.Channel {
	case domain.ChannelEmail:
		sendErr = s.sendEmail(ctx, d, n, calendar)
	case domain.ChannelWebhook:
		sendErr = s.sendWebhook(ctx, d, n, calendar)
	default:
		return permanent("unknown_channel", "unknown channel "+d.Channel, nil)
	}
	if errors.Is(sendErr, errSuppressed) {
		return nil
	}
	faults.Point(afterSend)
	now := s.now()
	if sendErr == nil {
		if _, err := s.store.Attempted(ctx, d.ID, domain.DeliverySent, "", "", now); err != nil {
			return err
		}
		s.Metrics.Count(d.Channel, "sent", "")
		return nil
	}
	status := d.Status
	if isPermanent(sendErr) {
		status = domain.DeliveryFailed
	}
	if _, err := s.store.Attempted(ctx, d.ID, status, "", sendErr.Error(), now); err != nil {
		return err
	}
	if status == domain.DeliveryFailed {
		s.Metrics.Count(d.Channel, "failed", "")
	} else {
		s.Metrics.Count(d.Channel, "retried", "")
	}
	return sendErr
}

// errSuppressed says the send decided not to send (and recorded why).
var errSuppressed = errors.New("suppressed")

func (s *Deliveries) suppress(ctx context.Context, d domain.Delivery, reason string) error {
	ok, err := s.store.Settle(ctx, d.ID, domain.DeliverySuppressed, reason, "",
		[]string{domain.DeliveryPending, domain.DeliveryHeld, domain.DeliveryRetrying}, s.now())
	if err == nil && ok {
		s.Metrics.Count(d.Channel, "suppressed", reason)
	}
	return err
}

// RetryFailed puts a failed delivery back in the hands of its workflow (an
// admin's retry from the dead-letter list): a new run with the full retry
// period.
func (s *Deliveries) RetryFailed(ctx context.Context, id string) (DeliveryView, error) {
	if err := adminOnly(ctx); err != nil {
		return DeliveryView{}, err
	}
	d, err := s.store.Get(ctx, id)
	if err != nil {
		return DeliveryView{}, err
	}
	if d.Status != domain.DeliveryFailed {
		return DeliveryView{}, apperr.Conflict("not_failed", "only a failed delivery is retried; this one is "+d.Status)
	}
	if s.Retry == nil {
		return DeliveryView{}, apperr.Unavailable("workflow_unavailable", "the workflow engine is not configured")
	}
	if ok, err := s.store.Settle(ctx, id, domain.DeliveryRetrying, domain.ReasonRetried, "", []string{domain.DeliveryFailed}, s.now()); err != nil || !ok {
		if err == nil {
			err = apperr.Conflict("not_failed", "the delivery changed meanwhile; reload it")
		}
		return DeliveryView{}, err
	}
	if err := s.Retry.Retry(ctx, id, nil); err != nil {
		_, _ = s.store.Settle(ctx, id, domain.DeliveryFailed, "", "", []string{domain.DeliveryRetrying}, s.now())
		return DeliveryView{}, apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
	}
	d, err = s.store.Get(ctx, id)
	return deliveryView(d, true), err
}

// DeliveryCursor is where a page of deliveries ends.
type DeliveryCursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// DeliveryPage is a page of deliveries.
type DeliveryPage struct {
	Items      []DeliveryView `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// Deliveries lists deliveries with status (failed: the dead-letter list)
// for admins, the latest change first; channel "" for both channels.
func (s *Deliveries) List(ctx context.Context, status, channel string, after *DeliveryCursor, limit int, encode func(any) string) (DeliveryPage, error) {
	if err := adminOnly(ctx); err != nil {
		return DeliveryPage{}, err
	}
	var v apperr.Validation
	v.Check(slices.Contains([]string{domain.DeliveryPending, domain.DeliveryHeld, domain.DeliveryRetrying, domain.DeliverySent,
		domain.DeliveryFailed, domain.DeliverySuppressed}, status), "status", "invalid", "pending, held, retrying, sent, failed or suppressed")
	v.Check(channel == "" || channel == domain.ChannelEmail || channel == domain.ChannelWebhook, "channel", "invalid", "email or webhook")
	if err := v.Err(); err != nil {
		return DeliveryPage{}, err
	}
	var key *store.DeliveryKeyset
	if after != nil {
		key = &store.DeliveryKeyset{At: after.At, ID: after.ID}
	}
	ds, err := s.store.WithStatus(ctx, status, channel, key, limit+1)
	if err != nil {
		return DeliveryPage{}, err
	}
	page := DeliveryPage{Items: []DeliveryView{}}
	for i, d := range ds {
		if i == limit {
			last := ds[limit-1]
			page.NextCursor = encode(DeliveryCursor{At: last.UpdatedAt, ID: last.ID})
			break
		}
		page.Items = append(page.Items, deliveryView(d, true))
	}
	return page, nil
}

// DeliveryView is a delivery as the API shows it.
type DeliveryView struct {
	ID string `json:"id"`
	// Channel: email or webhook.
	Channel string `json:"channel"`
	// Kind: reminder, escalation, handover, winback, or digest.
	Kind string `json:"kind"`
	// Target is the recipient's user id (email) or the webhook
	// subscription's id.
	Target string `json:"target"`
	// Address is the email address (admins only).
	Address        string `json:"address,omitempty"`
	NotificationID string `json:"notification_id,omitempty"`
	FollowUpID     string `json:"follow_up_id,omitempty"`
	// Status: pending, held (quiet hours, until not_before), retrying,
	// sent, failed (the retries ran out: the dead-letter list) or
	// suppressed.
	Status string `json:"status"`
	// Reason a delivery is held or suppressed: quiet_hours, preference,
	// no_address, digest, closed, unsubscribed, empty; retried after an
	// admin's retry.
	Reason    string     `json:"reason,omitempty"`
	Urgent    bool       `json:"urgent"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	NotBefore *time.Time `json:"not_before,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func deliveryView(d domain.Delivery, admin bool) DeliveryView {
	v := DeliveryView{ID: d.ID, Channel: d.Channel, Kind: d.Kind, Target: d.Target, NotificationID: d.NotificationID,
		FollowUpID: d.FollowUpID, Status: d.Status, Reason: d.Reason, Urgent: d.Urgent, Attempts: d.Attempts,
		LastError: d.LastError, NotBefore: d.NotBefore, SentAt: d.SentAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if admin {
		v.Address = d.Address
	}
	return v
}
