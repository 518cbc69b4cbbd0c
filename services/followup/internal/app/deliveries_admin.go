package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// The delivery use cases of admins (the dead-letter list and its retry),
// of the Delivery workflow (giving up), and the views they answer with.

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

// RetryFailed puts a failed delivery back in the hands of its workflow (an
// admin's retry from the dead-letter list): a new run with the full retry
// period. A webhook delivery is retried only while its subscription exists
// and is enabled: otherwise the refusal says what to do first.
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
	if d.Channel == domain.ChannelWebhook {
		sub, err := s.hooks.Get(ctx, d.Target)
		switch {
		case errors.Is(err, domain.ErrWebhookNotFound):
			return DeliveryView{}, apperr.Conflict("subscription_deleted", "its webhook subscription was deleted: there is nothing to send it to")
		case err != nil:
			return DeliveryView{}, err
		case !sub.Enabled:
			return DeliveryView{}, apperr.Conflict("subscription_disabled", "its webhook subscription is disabled ("+sub.DisabledReason+"): re-enable the subscription, then retry")
		}
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
	if err := s.Retry.Restart(ctx, id); err != nil {
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
	// Kind: reminder, escalation, handover, winback, digest, or touch (a
	// marketing campaign's email to a customer).
	Kind string `json:"kind"`
	// Target is the recipient's user id (email), the customer's id (a
	// touch email) or the webhook subscription's id.
	Target string `json:"target"`
	// Address is the email address (admins only).
	Address        string `json:"address,omitempty"`
	NotificationID string `json:"notification_id,omitempty"`
	FollowUpID     string `json:"follow_up_id,omitempty"`
	// Status: pending, held (quiet hours, until not_before), retrying,
	// sent, failed (the retries ran out: the dead-letter list) or
	// suppressed.
	Status string `json:"status"`
	// Reason a delivery is held or suppressed: quiet_hours,
	// contact_pressure (a campaign's touch email), preference, no_address,
	// digest, closed, unsubscribed, empty; retried after an admin's retry.
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
