package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/webhook"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// webhookRow is one webhook subscription (domain.Subscription). Secrets
// are stored in their whsec_ form; event kinds comma-separated. The
// timestamps are the domain's, never gorm's clock.
type webhookRow struct {
	ID             string `gorm:"primaryKey"`
	URL            string
	Description    string
	Language       string
	EventKinds     string
	Secret         string
	PreviousSecret string
	PreviousUntil  *time.Time
	Enabled        bool
	DisabledReason string
	DisabledAt     *time.Time
	Failures       int
	FailingSince   *time.Time
	CreatedBy      string
	CreatedAt      time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
}

func (webhookRow) TableName() string { return "webhook_subscriptions" }

func webhookRowOf(s domain.Subscription) webhookRow {
	return webhookRow{ID: s.ID, URL: s.URL, Description: s.Description, Language: s.Language, EventKinds: strings.Join(s.EventKinds, ","),
		Secret: s.Secret.Reveal(), PreviousSecret: s.PreviousSecret.Reveal(), PreviousUntil: utcOrNil(s.PreviousUntil),
		Enabled: s.Enabled, DisabledReason: s.DisabledReason, DisabledAt: utcOrNil(s.DisabledAt), Failures: s.Failures,
		FailingSince: utcOrNil(s.FailingSince), CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
}

func (r webhookRow) domain() (domain.Subscription, error) {
	s := domain.Subscription{ID: r.ID, URL: r.URL, Description: r.Description, Language: r.Language, EventKinds: []string{},
		PreviousUntil: utcOrNil(r.PreviousUntil), Enabled: r.Enabled, DisabledReason: r.DisabledReason, DisabledAt: utcOrNil(r.DisabledAt),
		Failures: r.Failures, FailingSince: utcOrNil(r.FailingSince), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.EventKinds != "" {
		s.EventKinds = strings.Split(r.EventKinds, ",")
	}
	var err error
	if s.Secret, err = webhook.ParseSecret(r.Secret); err != nil {
		return s, fmt.Errorf("webhook subscription %s: stored secret: %w", r.ID, err)
	}
	if r.PreviousSecret != "" {
		if s.PreviousSecret, err = webhook.ParseSecret(r.PreviousSecret); err != nil {
			return s, fmt.Errorf("webhook subscription %s: stored previous secret: %w", r.ID, err)
		}
	}
	return s, nil
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Webhooks stores the webhook subscriptions administrators register.
type Webhooks struct{ db *gorm.DB }

// NewWebhooks returns the repository over a migrated database.
func NewWebhooks(gdb *gorm.DB) *Webhooks { return &Webhooks{db: gdb} }

// Create stores a new subscription.
func (r *Webhooks) Create(ctx context.Context, s domain.Subscription) error {
	row := webhookRowOf(s)
	return r.db.WithContext(ctx).Create(&row).Error
}

// Get returns one subscription; domain.ErrWebhookNotFound when there is
// none.
func (r *Webhooks) Get(ctx context.Context, id string) (domain.Subscription, error) {
	return r.get(r.db.WithContext(ctx), id)
}

func (r *Webhooks) get(q *gorm.DB, id string) (domain.Subscription, error) {
	var row webhookRow
	err := q.Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Subscription{}, domain.ErrWebhookNotFound
	}
	if err != nil {
		return domain.Subscription{}, err
	}
	return row.domain()
}

// List returns every subscription, oldest first.
func (r *Webhooks) List(ctx context.Context) ([]domain.Subscription, error) {
	return r.list(r.db.WithContext(ctx))
}

func (r *Webhooks) list(q *gorm.DB) ([]domain.Subscription, error) {
	var rows []webhookRow
	if err := q.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Subscription, 0, len(rows))
	for _, row := range rows {
		s, err := row.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// For returns the subscriptions a message of the event kind goes to (those
// that want it: domain.Subscription.Wants), oldest first.
func (r *Webhooks) For(ctx context.Context, kind string) ([]domain.Subscription, error) {
	all, err := r.list(r.db.WithContext(ctx).Where("enabled = ?", true))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if s.Wants(kind) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Save stores every field of s over the stored subscription;
// domain.ErrWebhookNotFound when there is none. A read-modify-write should
// go through Update, which holds the row meanwhile.
func (r *Webhooks) Save(ctx context.Context, s domain.Subscription) error {
	return saveWebhook(r.db.WithContext(ctx), s)
}

func saveWebhook(tx *gorm.DB, s domain.Subscription) error {
	row := webhookRowOf(s)
	res := tx.Model(&webhookRow{}).Where("id = ?", s.ID).Updates(map[string]any{
		"url": row.URL, "description": row.Description, "event_kinds": row.EventKinds, "secret": row.Secret,
		"previous_secret": row.PreviousSecret, "previous_until": row.PreviousUntil, "enabled": row.Enabled,
		"disabled_reason": row.DisabledReason, "disabled_at": row.DisabledAt, "failures": row.Failures,
		"failing_since": row.FailingSince, "created_by": row.CreatedBy, "created_at": row.CreatedAt, "updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return domain.ErrWebhookNotFound
	}
	return nil
}

// Update loads the subscription for update (SELECT … FOR UPDATE on
// PostgreSQL; SQLite has one writer anyway), lets fn apply a domain change,
// and stores the result, in one transaction; nothing is stored when fn
// fails. domain.ErrWebhookNotFound when there is no such subscription.
func (r *Webhooks) Update(ctx context.Context, id string, fn func(*domain.Subscription) error) (domain.Subscription, error) {
	var out domain.Subscription
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		s, err := r.get(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id)
		if err != nil {
			return err
		}
		if err := fn(&s); err != nil {
			return err
		}
		out = s
		return saveWebhook(tx, s)
	})
	return out, err
}

// Attempt records a delivery attempt's outcome on the subscription
// (domain.Subscription.RecordAttempt) with the row held, so concurrent
// deliveries count every failure; disabled is true when this attempt
// switched the subscription off.
func (r *Webhooks) Attempt(ctx context.Context, id string, ok bool, reason string, now time.Time, disableAfter int) (disabled bool, err error) {
	_, err = r.Update(ctx, id, func(s *domain.Subscription) error {
		disabled = s.RecordAttempt(ok, reason, now, disableAfter)
		return nil
	})
	return disabled && err == nil, err
}

// Delete removes a subscription; domain.ErrWebhookNotFound when there is
// none. Deliveries already planned for it stay, naming it as their target.
func (r *Webhooks) Delete(ctx context.Context, id string) error {
	res := r.db.WithContext(ctx).Where("id = ?", id).Delete(&webhookRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return domain.ErrWebhookNotFound
	}
	return nil
}
