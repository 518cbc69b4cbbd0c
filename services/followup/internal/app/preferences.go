// Notification preferences: each person reads and changes their own
// (domain/preferences.go).

package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// NotificationPreferences is the preferences' use cases.
type NotificationPreferences struct {
	store *store.Preferences
	// DefaultTimeZone is the time zone of people who never chose one.
	DefaultTimeZone string
}

// NewNotificationPreferences returns the use cases over their repository;
// tz is the default time zone.
func NewNotificationPreferences(s *store.Preferences, tz string) *NotificationPreferences {
	return &NotificationPreferences{store: s, DefaultTimeZone: tz}
}

// PreferencesView is a person's preferences as the API shows and takes them.
type PreferencesView struct {
	// Language of messages: en or zh-Hans.
	Language string `json:"language"`
	// TimeZone of times in messages, of quiet hours and of the digest.
	TimeZone string `json:"time_zone"`
	// Email is where email messages go; empty: none.
	Email string `json:"email"`
	// EmailKinds are the event kinds also sent by email: reminder,
	// escalation, handover, winback. The in-app inbox has every message.
	EmailKinds []string `json:"email_kinds"`
	// QuietHours: non-urgent messages wait until they end; null for none.
	QuietHours *domain.QuietHours `json:"quiet_hours"`
	// DigestHour (0–23) of the daily digest; null for none.
	DigestHour *int `json:"digest_hour"`
	// Default says these are the defaults: the person never chose.
	Default   bool       `json:"default"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func preferencesView(p domain.Preferences, def bool) PreferencesView {
	v := PreferencesView{Language: p.Language, TimeZone: p.TimeZone, Email: p.Email, EmailKinds: p.EmailKinds, QuietHours: p.Quiet,
		DigestHour: p.DigestHour, Default: def}
	if v.EmailKinds == nil {
		v.EmailKinds = []string{}
	}
	if !def {
		at := p.UpdatedAt
		v.UpdatedAt = &at
	}
	return v
}

// For returns a person's preferences, the defaults when they never chose.
func (s *NotificationPreferences) For(ctx context.Context, userID string, manager bool) (domain.Preferences, error) {
	p, ok, err := s.store.Get(ctx, userID)
	if err != nil || ok {
		return p, err
	}
	return domain.DefaultPreferences(userID, manager, s.DefaultTimeZone), nil
}

// Mine returns the caller's preferences.
func (s *NotificationPreferences) Mine(ctx context.Context) (PreferencesView, error) {
	who, ok := auth.FromContext(ctx)
	if !ok {
		return PreferencesView{}, errUnauthenticated()
	}
	p, found, err := s.store.Get(ctx, who.Subject)
	if err != nil {
		return PreferencesView{}, err
	}
	if !found {
		return preferencesView(domain.DefaultPreferences(who.Subject, who.Has(auth.RoleManager), s.DefaultTimeZone), true), nil
	}
	return preferencesView(p, false), nil
}

// SetMine replaces the caller's preferences with in; invalid ones are
// refused field by field and change nothing.
func (s *NotificationPreferences) SetMine(ctx context.Context, in PreferencesView) (PreferencesView, error) {
	who, ok := auth.FromContext(ctx)
	if !ok {
		return PreferencesView{}, errUnauthenticated()
	}
	p := domain.Preferences{UserID: who.Subject, Language: in.Language, TimeZone: in.TimeZone, Email: in.Email,
		EmailKinds: in.EmailKinds, Quiet: in.QuietHours, DigestHour: in.DigestHour, UpdatedAt: now()}
	if p.EmailKinds == nil {
		p.EmailKinds = []string{}
	}
	if err := p.Check(); err != nil {
		return PreferencesView{}, err
	}
	if err := s.store.Put(ctx, p); err != nil {
		return PreferencesView{}, err
	}
	return preferencesView(p, false), nil
}
