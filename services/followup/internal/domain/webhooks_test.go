package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/webhook"
)

func testSubscription() Subscription {
	return Subscription{ID: "wh-1", URL: "https://hooks.example.com/closeloop", Description: "ops chat", Language: "en",
		EventKinds: []string{EventEscalation, EventHandover}, Secret: webhook.NewSecret(), Enabled: true,
		CreatedBy: "admin-ada", CreatedAt: t0w, UpdatedAt: t0w}
}

var t0w = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fieldCodes are the field:code pairs of a validation error.
func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindRule || ae.Code != "validation_failed" {
		t.Fatalf("want a 422 validation error, got %v", err)
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func TestSubscriptionCheck(t *testing.T) {
	strict := webhook.Policy{}
	if err := testSubscription().Check(strict); err != nil {
		t.Fatalf("a valid subscription is refused: %v", err)
	}
	for _, c := range []struct {
		name   string
		policy webhook.Policy
		change func(*Subscription)
		want   []string // field:code, in order; nil: accepted
	}{
		{"plain http", strict, func(s *Subscription) { s.URL = "http://hooks.example.com/x" }, []string{"url:" + webhook.CodeNotHTTPS}},
		{"plain http allowed", webhook.Policy{AllowHTTP: true}, func(s *Subscription) { s.URL = "http://hooks.example.com/x" }, nil},
		{"loopback", strict, func(s *Subscription) { s.URL = "https://127.0.0.1/x" }, []string{"url:" + webhook.CodePrivateAddress}},
		{"private network", strict, func(s *Subscription) { s.URL = "https://10.0.0.1/x" }, []string{"url:" + webhook.CodePrivateAddress}},
		{"private allowed", webhook.Policy{AllowPrivate: true}, func(s *Subscription) { s.URL = "https://10.0.0.1/x" }, nil},
		{"localhost over http, both allowed", webhook.Policy{AllowPrivate: true, AllowHTTP: true}, func(s *Subscription) { s.URL = "http://localhost:8080/x" }, nil},
		{"no URL", strict, func(s *Subscription) { s.URL = "" }, []string{"url:" + webhook.CodeInvalidURL}},
		{"no kinds", strict, func(s *Subscription) { s.EventKinds = nil }, []string{"event_kinds:required"}},
		{"empty kinds", strict, func(s *Subscription) { s.EventKinds = []string{} }, []string{"event_kinds:required"}},
		{"unknown kind", strict, func(s *Subscription) { s.EventKinds = []string{EventReminder, "closed"} }, []string{"event_kinds:invalid"}},
		{"kind twice", strict, func(s *Subscription) { s.EventKinds = []string{EventReminder, EventReminder} }, []string{"event_kinds:duplicate"}},
		{"every kind", strict, func(s *Subscription) { s.EventKinds = EventKinds() }, nil},
		{"description of 300 characters", strict, func(s *Subscription) { s.Description = strings.Repeat("回", 300) }, nil},
		{"description of 301 characters", strict, func(s *Subscription) { s.Description = strings.Repeat("回", 301) }, []string{"description:too_long"}},
		{"everything wrong at once", strict, func(s *Subscription) {
			s.URL, s.EventKinds, s.Description = "http://10.0.0.1/x", []string{"nope"}, strings.Repeat("x", 301)
		}, []string{"url:" + webhook.CodeNotHTTPS, "event_kinds:invalid", "description:too_long"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSubscription()
			c.change(&s)
			err := s.Check(c.policy)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fieldCodes(t, err); !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v", got, c.want)
			}
		})
	}
}

func TestSubscriptionWants(t *testing.T) {
	s := testSubscription()
	if !s.Wants(EventEscalation) || !s.Wants(EventHandover) || s.Wants(EventReminder) || s.Wants("") {
		t.Fatalf("an enabled subscription to escalation and handover: wants %v", s.EventKinds)
	}
	s.Disable("admin-ada", t0w)
	if s.Wants(EventEscalation) {
		t.Fatal("a disabled subscription still wants messages")
	}
}

// Rotation: the old secret signs too until the overlap ends, not from its
// last instant on; a second rotation drops the first secret.
func TestSubscriptionRotate(t *testing.T) {
	s := testSubscription()
	first, second, third := s.Secret, webhook.NewSecret(), webhook.NewSecret()
	if got := s.Signing(t0w); len(got) != 1 || !got[0].Equal(first) {
		t.Fatalf("before any rotation: %d secrets", len(got))
	}
	at := t0w.Add(time.Hour)
	s.Rotate(second, at, SecretOverlap)
	if !s.Secret.Equal(second) || !s.PreviousSecret.Equal(first) || s.PreviousUntil == nil || !s.PreviousUntil.Equal(at.Add(24*time.Hour)) || !s.UpdatedAt.Equal(at) {
		t.Fatalf("after rotating: %+v", s)
	}
	for _, c := range []struct {
		at   time.Time
		want []webhook.Secret
	}{
		{at, []webhook.Secret{second, first}},
		{at.Add(24*time.Hour - time.Nanosecond), []webhook.Secret{second, first}},
		{at.Add(24 * time.Hour), []webhook.Secret{second}},
		{at.Add(48 * time.Hour), []webhook.Secret{second}},
	} {
		got := s.Signing(c.at)
		if !slices.EqualFunc(got, c.want, webhook.Secret.Equal) {
			t.Errorf("at %s: %d secrets, want %d", c.at, len(got), len(c.want))
		}
	}
	s.Rotate(third, at.Add(2*time.Hour), SecretOverlap)
	if got := s.Signing(at.Add(2 * time.Hour)); !slices.EqualFunc(got, []webhook.Secret{third, second}, webhook.Secret.Equal) {
		t.Errorf("after a second rotation: %d secrets", len(got))
	}
	s.Rotate(first, at.Add(3*time.Hour), 0)
	if got := s.Signing(at.Add(3 * time.Hour)); len(got) != 1 || !got[0].Equal(first) || s.PreviousUntil != nil {
		t.Errorf("a rotation without overlap still signs with the old secret")
	}
}

// A receiver that keeps failing is disabled at the disableAfter-th failure
// in a row, once, with why; a success in between starts the count afresh;
// re-enabling clears everything.
func TestSubscriptionRecordAttempt(t *testing.T) {
	s := testSubscription()
	at := func(m int) time.Time { return t0w.Add(time.Duration(m) * time.Minute) }
	if s.RecordAttempt(false, "HTTP 500", at(1), 3) || s.RecordAttempt(false, "HTTP 502", at(2), 3) {
		t.Fatal("disabled before the third failure")
	}
	if s.Failures != 2 || s.FailingSince == nil || !s.FailingSince.Equal(at(1)) || !s.Enabled {
		t.Fatalf("after two failures: %+v", s)
	}
	if s.RecordAttempt(true, "", at(3), 3) || s.Failures != 0 || s.FailingSince != nil {
		t.Fatalf("a success did not reset the count: %+v", s)
	}
	for m := 4; m <= 5; m++ {
		if s.RecordAttempt(false, "timeout", at(m), 3) {
			t.Fatalf("disabled at failure %d", m-3)
		}
	}
	if !s.RecordAttempt(false, "HTTP 410 Gone", at(6), 3) {
		t.Fatal("not disabled at the third failure in a row")
	}
	want := "disabled after 3 consecutive failed deliveries since 2026-03-02T09:04:00Z; last: HTTP 410 Gone"
	if s.Enabled || s.DisabledReason != want || s.DisabledAt == nil || !s.DisabledAt.Equal(at(6)) || !s.UpdatedAt.Equal(at(6)) {
		t.Fatalf("disabled: enabled %v, reason %q, at %v", s.Enabled, s.DisabledReason, s.DisabledAt)
	}
	if s.RecordAttempt(false, "again", at(7), 3) || s.DisabledReason != want || !s.DisabledAt.Equal(at(6)) || s.Failures != 4 {
		t.Fatalf("a late failure of a disabled subscription changed its reason: %+v", s)
	}

	s.Enable(at(8))
	if !s.Enabled || s.Failures != 0 || s.FailingSince != nil || s.DisabledReason != "" || s.DisabledAt != nil || !s.UpdatedAt.Equal(at(8)) {
		t.Fatalf("re-enabled: %+v", s)
	}
	if s.RecordAttempt(false, "x", at(9), 0) || s.RecordAttempt(false, "x", at(10), 0) || !s.Enabled {
		t.Fatal("disableAfter 0 disabled it")
	}

	// An administrator's switch-off is not overwritten by failures.
	s.Disable("admin-ada", at(11))
	if s.RecordAttempt(false, "x", at(12), 1) || s.DisabledReason != "disabled by admin-ada" {
		t.Fatalf("reason %q", s.DisabledReason)
	}

	// A long error text in a multi-byte script is cut to fit the column,
	// never inside a character.
	s.Enable(at(13))
	if !s.RecordAttempt(false, strings.Repeat("超时", 1000), at(14), 1) {
		t.Fatal("not disabled")
	}
	if n := len([]rune(s.DisabledReason)); n != maxDisabledReason || !strings.HasSuffix(s.DisabledReason, "…") || !strings.Contains(s.DisabledReason, "; last: 超时") {
		t.Fatalf("reason of %d characters: %.80q…", n, s.DisabledReason)
	}
}

func TestSubscriptionSecretHint(t *testing.T) {
	s := testSubscription()
	full := s.Secret.Reveal()
	hint := s.SecretHint()
	if hint != "whsec_…"+full[len(full)-4:] {
		t.Fatalf("hint %q of %q", hint, full)
	}
	if (Subscription{}).SecretHint() != "whsec_[none]" {
		t.Fatalf("the hint of no secret: %q", (Subscription{}).SecretHint())
	}
}

func TestSubscriptionLanguage(t *testing.T) {
	s := testSubscription()
	s.Language = "fr"
	err := s.Check(webhook.Policy{})
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "language" {
		t.Fatalf("an unknown language: %v", err)
	}
	s.Language = "zh-Hans"
	if err := s.Check(webhook.Policy{}); err != nil {
		t.Fatalf("Chinese refused: %v", err)
	}
}
