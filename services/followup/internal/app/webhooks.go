// Webhook subscriptions: administrators register, change, rotate the
// secret of and remove the URLs follow-up messages are sent to
// (domain/webhooks.go). A secret is shown once, when it is made; after
// that only a hint of it.

package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/webhook"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Webhooks is the webhook subscriptions' use cases, for admins only.
type Webhooks struct {
	store  *store.Webhooks
	policy webhook.Policy
	now    func() time.Time
}

// NewWebhooks returns the use cases over their repository; policy says
// where webhooks may go (https only, public addresses only, unless the
// administrators' settings allow more).
func NewWebhooks(s *store.Webhooks, policy webhook.Policy) *Webhooks {
	return &Webhooks{store: s, policy: policy, now: now}
}

// WebhookView is a subscription as the API shows it: never its secret,
// only a hint of it.
type WebhookView struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// Language of the events' text: en or zh-Hans.
	Language string `json:"language"`
	// EventKinds it is sent: reminder, escalation, handover, winback.
	EventKinds []string `json:"event_kinds"`
	// SecretHint is whsec_… and the signing secret's last four characters.
	SecretHint string `json:"secret_hint"`
	// PreviousSecretUntil: after a rotation, deliveries are signed with the
	// previous secret as well until then; null when they are not.
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	Enabled             bool       `json:"enabled"`
	// DisabledReason and DisabledAt say why and when it was switched off:
	// too many failed deliveries in a row, or an administrator.
	DisabledReason string     `json:"disabled_reason"`
	DisabledAt     *time.Time `json:"disabled_at"`
	// Failures counts the consecutive failed delivery attempts since
	// FailingSince.
	Failures     int        `json:"failures"`
	FailingSince *time.Time `json:"failing_since"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// WebhookSecretView is a subscription with its signing secret, answered
// once: when it is created and when its secret is rotated.
type WebhookSecretView struct {
	WebhookView
	// Secret signs the deliveries (Standard Webhooks, whsec_<base64>).
	// Keep it now: it is not shown again.
	Secret string `json:"secret"`
}

// WebhookInput registers a subscription.
type WebhookInput struct {
	URL         string `json:"url"`
	Description string `json:"description"`
	// Language of the events' text: en (the default) or zh-Hans.
	Language   string   `json:"language,omitempty"`
	EventKinds []string `json:"event_kinds"`
	// Secret is the receiver's whsec_ secret, when it hands one out; empty:
	// one is generated.
	Secret string `json:"secret,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
}

// WebhookPatch changes a subscription: absent fields stay as they are.
type WebhookPatch struct {
	URL         *string   `json:"url,omitempty"`
	Description *string   `json:"description,omitempty"`
	Language    *string   `json:"language,omitempty"`
	EventKinds  *[]string `json:"event_kinds,omitempty"`
	// Enabled: true switches a disabled subscription on again with its
	// failure count cleared; false switches it off.
	Enabled *bool `json:"enabled,omitempty"`
}

// WebhookRotateInput is an optional rotation request: the receiver's new
// secret, when it hands one out; empty: one is generated.
type WebhookRotateInput struct {
	Secret string `json:"secret,omitempty"`
}

func webhookView(s domain.Subscription, now time.Time) WebhookView {
	v := WebhookView{ID: s.ID, URL: s.URL, Description: s.Description, Language: s.Language, EventKinds: s.EventKinds, SecretHint: s.SecretHint(),
		Enabled: s.Enabled, DisabledReason: s.DisabledReason, DisabledAt: s.DisabledAt, Failures: s.Failures,
		FailingSince: s.FailingSince, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if v.EventKinds == nil {
		v.EventKinds = []string{}
	}
	if len(s.Signing(now)) > 1 {
		v.PreviousSecretUntil = s.PreviousUntil
	}
	return v
}

func webhookSecretView(s domain.Subscription, now time.Time) WebhookSecretView {
	return WebhookSecretView{WebhookView: webhookView(s, now), Secret: s.Secret.Reveal()}
}

// webhookAdmin is the caller when they are an admin.
func webhookAdmin(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, errUnauthenticated()
	}
	if !p.Has(auth.RoleAdmin) {
		return p, domain.ErrWebhooksForbidden
	}
	return p, nil
}

// webhookSecretOr parses a given secret, or makes one when none is given.
func webhookSecretOr(given string) (webhook.Secret, error) {
	if given == "" {
		return webhook.NewSecret(), nil
	}
	return webhook.ParseSecret(given)
}

// Create registers a subscription and answers it with its secret, the
// only time the secret is shown. Every bad field (url, event_kinds,
// description, secret) is reported in one 422, and nothing is stored.
func (w *Webhooks) Create(ctx context.Context, in WebhookInput) (WebhookSecretView, error) {
	p, err := webhookAdmin(ctx)
	if err != nil {
		return WebhookSecretView{}, err
	}
	at := w.now()
	secret, secretErr := webhookSecretOr(in.Secret)
	lang := in.Language
	if lang == "" {
		lang = "en"
	}
	s := domain.Subscription{ID: uuid.Must(uuid.NewV7()).String(), URL: in.URL, Description: in.Description, Language: lang,
		EventKinds: in.EventKinds, Secret: secret, Enabled: true, CreatedBy: p.Subject, CreatedAt: at, UpdatedAt: at}
	switch checkErr := s.Check(w.policy); {
	case checkErr != nil && secretErr != nil:
		return WebhookSecretView{}, domain.MergeValidation(secretErr, checkErr) // checkErr's fields first, as in the request
	case checkErr != nil:
		return WebhookSecretView{}, checkErr
	case secretErr != nil:
		return WebhookSecretView{}, secretErr
	}
	if in.Enabled != nil && !*in.Enabled {
		s.Disable(p.Subject, at)
	}
	if err := w.store.Create(ctx, s); err != nil {
		return WebhookSecretView{}, err
	}
	return webhookSecretView(s, at), nil
}

// List returns every subscription, oldest first, without secrets.
func (w *Webhooks) List(ctx context.Context) ([]WebhookView, error) {
	if _, err := webhookAdmin(ctx); err != nil {
		return nil, err
	}
	subs, err := w.store.List(ctx)
	if err != nil {
		return nil, err
	}
	at := w.now()
	out := make([]WebhookView, len(subs))
	for i, s := range subs {
		out[i] = webhookView(s, at)
	}
	return out, nil
}

// Get returns one subscription, without its secret.
func (w *Webhooks) Get(ctx context.Context, id string) (WebhookView, error) {
	if _, err := webhookAdmin(ctx); err != nil {
		return WebhookView{}, err
	}
	s, err := w.store.Get(ctx, id)
	if err != nil {
		return WebhookView{}, err
	}
	return webhookView(s, w.now()), nil
}

// Update changes the URL, description, event kinds or enabled state of a
// subscription. The result is checked whole, as on Create (a URL stored
// under a laxer policy must pass today's to stay), unless the change only
// switches it off. Switching a disabled subscription on clears its failure
// count and reason.
func (w *Webhooks) Update(ctx context.Context, id string, in WebhookPatch) (WebhookView, error) {
	p, err := webhookAdmin(ctx)
	if err != nil {
		return WebhookView{}, err
	}
	at := w.now()
	s, err := w.store.Update(ctx, id, func(s *domain.Subscription) error {
		if in.URL != nil {
			s.URL = *in.URL
		}
		if in.Description != nil {
			s.Description = *in.Description
		}
		if in.Language != nil {
			s.Language = *in.Language
		}
		if in.EventKinds != nil {
			s.EventKinds = *in.EventKinds
		}
		switchOffOnly := in.URL == nil && in.Description == nil && in.Language == nil && in.EventKinds == nil && in.Enabled != nil && !*in.Enabled
		if !switchOffOnly {
			if err := s.Check(w.policy); err != nil {
				return err
			}
		}
		switch {
		case in.Enabled != nil && *in.Enabled && !s.Enabled:
			s.Enable(at)
		case in.Enabled != nil && !*in.Enabled:
			s.Disable(p.Subject, at)
		}
		if in.URL != nil || in.Description != nil || in.Language != nil || in.EventKinds != nil {
			s.UpdatedAt = at
		}
		return nil
	})
	if err != nil {
		return WebhookView{}, err
	}
	return webhookView(s, at), nil
}

// Delete removes a subscription: nothing more is planned for it.
func (w *Webhooks) Delete(ctx context.Context, id string) error {
	if _, err := webhookAdmin(ctx); err != nil {
		return err
	}
	return w.store.Delete(ctx, id)
}

// RotateSecret gives a subscription a new signing secret — the one given,
// or a generated one — and answers it, the only time it is shown. The old
// secret keeps signing for domain.SecretOverlap (24 hours), so the
// receiver can be switched over without missing a delivery.
func (w *Webhooks) RotateSecret(ctx context.Context, id string, in WebhookRotateInput) (WebhookSecretView, error) {
	if _, err := webhookAdmin(ctx); err != nil {
		return WebhookSecretView{}, err
	}
	next, err := webhookSecretOr(in.Secret)
	if err != nil {
		return WebhookSecretView{}, err
	}
	at := w.now()
	s, err := w.store.Update(ctx, id, func(s *domain.Subscription) error {
		s.Rotate(next, at, domain.SecretOverlap)
		return nil
	})
	if err != nil {
		return WebhookSecretView{}, err
	}
	return webhookSecretView(s, at), nil
}
