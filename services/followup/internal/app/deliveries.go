// Deliveries: the email and webhook channels of notifications
// (domain/delivery.go), and of marketing campaigns' touch emails
// (deliveries_touch.go, taken by the same senders). The dispatcher turns
// each new inbox message into its deliveries and hands those that go now
// to a pool of senders; what
// must wait (quiet hours) or failed is handed to a Delivery workflow
// (workflows/notify), which waits and retries durably and calls Send
// through an activity.
//
// The hot path reads each batch of messages with their follow-ups'
// states, their recipients and the subscriptions in a few queries, plans a
// message's deliveries in one transaction, and records sent deliveries in
// batches: a few statements per message rather than several per delivery,
// so a burst of reminders (and a fan-out to many webhooks) is sent within
// seconds (docs/performance.md#notifications).

package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
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
	// Retry keeps a run of the delivery's workflow that is already open:
	// that run owns the delivery.
	Retry(ctx context.Context, deliveryID string, notBefore *time.Time) error
	// Restart starts a new run for a failed delivery (an admin's retry).
	// A failed delivery's run has given up: one still open is closing
	// after its last step, and is ended so that the retry is not lost to it.
	Restart(ctx context.Context, deliveryID string) error
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
	// Concurrency is the number of senders per replica.
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
	// nudge wakes Run before its next poll (a touch email was queued).
	nudge chan struct{}
}

// NewDeliveries returns the use cases over their repositories.
func NewDeliveries(s *store.Deliveries, people *store.Recipients, hooks *store.Webhooks, fus *store.FollowUps, log *slog.Logger) *Deliveries {
	return &Deliveries{store: s, people: people, hooks: hooks, followUps: fus, Log: log, now: time.Now, Metrics: noMetrics{}, nudge: make(chan struct{}, 1),
		Config: DeliveryConfig{Claim: time.Minute, Poll: 500 * time.Millisecond, DigestCheck: time.Minute, Concurrency: 16, DisableAfter: 20}}
}

type noMetrics struct{}

func (noMetrics) Count(string, string, string) {}

// job is one delivery to send now, with what sending it needs.
type job struct {
	d domain.Delivery
	// claim is until when this replica holds d (microseconds, as stored).
	claim time.Time
	// n is the message (nil for a digest); closed says its follow-up was
	// closed when it was read; calendar is the follow-up's calendar.
	n        *domain.Notification
	closed   bool
	calendar string
	// name is the email recipient's display name, owner the follow-up
	// owner's; sub the webhook's subscription.
	name, owner string
	sub         *domain.Subscription
	// touch is a campaign's touch email (deliveries_touch.go), nil for
	// every other delivery.
	touch *touchJob
}

// Run dispatches new messages, sends what the sweep finds unsent and the
// daily digests, until ctx ends. Config.Concurrency senders take the
// deliveries that go now; a recorder writes the sent ones in batches.
func (s *Deliveries) Run(ctx context.Context) error {
	jobs := make(chan job, 4*max(1, s.Config.Concurrency))
	rec := newRecorder(s.store, s.Log)
	var senders sync.WaitGroup
	for range max(1, s.Config.Concurrency) {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for j := range jobs {
				if ctx.Err() == nil { // at shutdown, claims run out and another replica sends
					s.work(ctx, j, rec)
				}
			}
		}()
	}
	recorded := make(chan struct{})
	go func() { rec.run(ctx); close(recorded) }()
	defer func() {
		close(jobs)
		senders.Wait()
		rec.stop()
		<-recorded
	}()
	enqueue := func(j job) {
		select {
		case jobs <- j:
		case <-ctx.Done():
		}
	}
	poll := time.NewTicker(s.Config.Poll)
	defer poll.Stop()
	var lastSweep, lastDigest time.Time
	for {
		const batch = 500
		if n, err := s.DispatchOnce(ctx, batch, enqueue); err != nil && ctx.Err() == nil {
			s.Log.Warn("notifications: dispatching new messages failed; trying again", "error", err)
		} else if n == batch {
			continue // more are waiting
		}
		if n, err := s.ClaimNewOnce(ctx, batch, enqueue); err != nil && ctx.Err() == nil {
			s.Log.Warn("notifications: taking new touch emails failed; trying again", "error", err)
		} else if n == batch {
			continue // more are waiting
		}
		now := s.now()
		if now.Sub(lastSweep) >= s.Config.Claim/2 {
			lastSweep = now
			if err := s.SweepOnce(ctx, enqueue); err != nil && ctx.Err() == nil {
				s.Log.Warn("notifications: the sweep of unsent deliveries failed; trying again", "error", err)
			}
		}
		if now.Sub(lastDigest) >= s.Config.DigestCheck {
			lastDigest = now
			if err := s.DigestsOnce(ctx, enqueue); err != nil && ctx.Err() == nil {
				s.Log.Warn("notifications: sending daily digests failed; trying again", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		case <-s.nudge:
		}
	}
}

// DispatchOnce plans the deliveries of up to limit new messages and
// enqueues those that go now; it returns how many messages it read.
func (s *Deliveries) DispatchOnce(ctx context.Context, limit int, enqueue func(job)) (int, error) {
	batch, err := s.store.Undispatched(ctx, limit)
	if err != nil || len(batch) == 0 {
		return len(batch), err
	}
	ns := make([]domain.Notification, len(batch))
	for i, b := range batch {
		ns[i] = b.Notification
	}
	var people map[string][]domain.Recipient
	if s.Mail != nil {
		if people, err = s.people.OfAll(ctx, ns); err != nil {
			return 0, err
		}
	}
	owners := make([]string, 0, len(ns))
	for _, n := range ns {
		owners = append(owners, n.OwnerID)
	}
	ownerNames, err := s.people.Names(ctx, owners)
	if err != nil {
		return 0, err
	}
	subs := map[string][]domain.Subscription{}
	for _, n := range ns {
		kind := domain.EventKindOf(n.Action)
		if _, ok := subs[kind]; !ok {
			if subs[kind], err = s.hooks.For(ctx, kind); err != nil {
				return 0, err
			}
		}
	}
	for _, b := range batch {
		n := b.Notification
		now := s.now()
		claim := s.claimFrom(now)
		var plan []domain.Delivery
		names := map[string]string{}
		for _, r := range people[n.ID] {
			plan = append(plan, domain.PlanEmail(n, r, now).WhenClosed(b.Closed))
			names[r.UserID] = r.Name
		}
		hooks := map[string]*domain.Subscription{}
		for _, sub := range subs[domain.EventKindOf(n.Action)] {
			plan = append(plan, domain.PlanWebhook(n, sub, now).WhenClosed(b.Closed))
			hooks[sub.ID] = &sub
		}
		mine, err := s.store.Plan(ctx, n.ID, plan, claim, now)
		if err != nil {
			return 0, err
		}
		if mine == nil { // another replica planned it
			continue
		}
		for _, d := range plan {
			switch d.Status {
			case domain.DeliverySuppressed:
				s.Metrics.Count(d.Channel, "suppressed", d.Reason)
			case domain.DeliveryHeld:
				s.Metrics.Count(d.Channel, "held", d.Reason)
				s.handOver(ctx, d, d.NotBefore)
			case domain.DeliveryPending:
				enqueue(job{d: d, claim: claim, n: &n, closed: b.Closed, calendar: b.Calendar, name: names[d.Target], owner: ownerNames[n.OwnerID],
					sub: hooks[d.Target]})
			}
		}
	}
	return len(batch), nil
}

// SweepOnce enqueues the pending deliveries nobody holds (their sender died
// between planning or sending and recording, or could not reach Temporal
// to hand a failure over), and hands the held ones nobody handed over to
// their workflows.
func (s *Deliveries) SweepOnce(ctx context.Context, enqueue func(job)) error {
	for _, status := range []string{domain.DeliveryPending, domain.DeliveryHeld} {
		for {
			now := s.now()
			claim := s.claimFrom(now)
			ds, err := s.store.ClaimStale(ctx, status, now, claim, 200)
			if err != nil {
				return err
			}
			if len(ds) > 0 {
				s.Log.Info("notifications: taking over deliveries nobody holds", "status", status, "deliveries", len(ds))
			}
			for _, d := range ds {
				if status == domain.DeliveryHeld {
					s.handOver(ctx, d, d.NotBefore)
					continue
				}
				j, err := s.load(ctx, d)
				if err != nil {
					return err
				}
				j.claim = claim
				enqueue(j)
			}
			if len(ds) < 200 {
				break
			}
		}
	}
	return nil
}

// load reads what sending d needs.
func (s *Deliveries) load(ctx context.Context, d domain.Delivery) (job, error) {
	j := job{d: d}
	if d.NotificationID != "" {
		n, err := s.store.Notification(ctx, d.NotificationID)
		if err != nil {
			return j, err
		}
		j.n = &n
		if n.AboutFollowUp() { // an event's message has no follow-up to close
			f, err := s.followUps.Get(ctx, d.FollowUpID)
			if err != nil {
				return j, err
			}
			j.closed, j.calendar = f.Closed(), f.Calendar
		}
		names, err := s.people.Names(ctx, []string{n.OwnerID})
		if err != nil {
			return j, err
		}
		j.owner = names[n.OwnerID]
	}
	switch {
	case d.Kind == domain.KindTouch:
		e, c, err := s.store.TouchEmail(ctx, d.ID)
		if err != nil {
			return j, err
		}
		j.touch, j.name = &touchJob{email: e, content: c}, e.Name
	case d.Channel == domain.ChannelEmail:
		people, err := s.people.Of(ctx, domain.Notification{UserID: d.Target})
		if err != nil {
			return j, err
		}
		if len(people) == 1 {
			j.name = people[0].Name
		}
	case d.Channel == domain.ChannelWebhook:
		sub, err := s.hooks.Get(ctx, d.Target)
		var ae *apperr.Error
		if err != nil && !(errors.As(err, &ae) && ae.Kind == apperr.KindNotFound) {
			return j, err
		}
		if err == nil {
			j.sub = &sub
		}
	}
	return j, nil
}

// work sends j now (a sender of Run): success is recorded in the next
// batch; a failure is recorded at once and handed to the delivery's
// workflow to retry, unless it is permanent.
func (s *Deliveries) work(ctx context.Context, j job, rec *recorder) {
	// A job that waited in the queue for half its claim (a slow relay)
	// renews it first, so that the sweep never hands it to a second sender;
	// if the claim was taken over meanwhile, the other sender has it.
	if now := s.now(); !j.claim.IsZero() && now.After(j.claim.Add(-s.Config.Claim/2)) {
		next := s.claimFrom(now)
		if ok, err := s.store.Reclaim(ctx, j.d.ID, j.claim, next); err != nil || !ok {
			return
		}
		j.claim = next
	}
	err := s.attempt(ctx, j)
	switch {
	case err == nil:
		rec.sent(j.d.ID, s.now())
	case errors.Is(err, errSuppressed), isPermanent(err):
	default:
		s.handOver(ctx, j.d, nil)
	}
}

// claimFrom is a claim starting at now, at the database's precision so that
// it can be compared with the stored one.
func (s *Deliveries) claimFrom(now time.Time) time.Time {
	return now.Add(s.Config.Claim).UTC().Truncate(time.Microsecond)
}

// Send sends delivery id unless it is done, and records the attempt (the
// activity of the Delivery workflow). A failure is returned, permanent
// ones wrapped so the activity does not retry them.
func (s *Deliveries) Send(ctx context.Context, id string) error {
	d, err := s.store.Get(ctx, id)
	if err != nil || d.Done() {
		return err
	}
	j, err := s.load(ctx, d)
	if err != nil {
		return err
	}
	err = s.attempt(ctx, j)
	switch {
	case err == nil:
		_, rerr := s.store.Attempted(ctx, d.ID, domain.DeliverySent, "", "", s.now())
		return rerr
	case errors.Is(err, errSuppressed):
		return nil
	}
	var rec recordedError
	if errors.As(err, &rec) {
		return rec.err
	}
	return err
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

// recorder writes sent deliveries in batches: every 100 ms, or at 500.
type recorder struct {
	store *store.Deliveries
	log   *slog.Logger
	in    chan sentAt
	done  chan struct{}
}

type sentAt struct {
	id string
	at time.Time
}

func newRecorder(s *store.Deliveries, log *slog.Logger) *recorder {
	return &recorder{store: s, log: log, in: make(chan sentAt, 1024), done: make(chan struct{})}
}

func (r *recorder) sent(id string, at time.Time) { r.in <- sentAt{id, at} }

// stop flushes what is left and ends run.
func (r *recorder) stop() { close(r.done) }

func (r *recorder) run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var pending []sentAt
	flush := func() {
		if len(pending) == 0 {
			return
		}
		// Its own deadline: at shutdown the batch is still written.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := r.store.MarkSent(fctx, idsOf(pending), pending[len(pending)-1].at); err != nil {
			// Not recorded: the claims run out and the sweep sends again
			// under the same Message-IDs.
			r.log.Warn("notifications: recording sent deliveries failed; they will be sent again", "deliveries", len(pending), "error", err)
		}
		pending = pending[:0]
	}
	for {
		select {
		case s := <-r.in:
			pending = append(pending, s)
			if len(pending) >= 500 {
				flush()
			}
		case <-tick.C:
			flush()
		case <-r.done:
			for {
				select {
				case s := <-r.in:
					pending = append(pending, s)
				default:
					flush()
					return
				}
			}
		}
	}
}

func idsOf(ss []sentAt) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.id
	}
	return out
}
