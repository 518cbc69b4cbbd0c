package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/webhook"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func as(sub string, role auth.Role) context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{Subject: sub, Roles: []auth.Role{role}, Teams: []string{"north"}})
}

// wantFields asserts err is a 422 naming exactly these field:code pairs.
func wantFields(t *testing.T, err error, want ...string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindRule {
		t.Fatalf("want a 422, got %v", err)
	}
	var got []string
	for _, f := range ae.Fields {
		got = append(got, f.Field+":"+f.Code)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
}

func wantKind(t *testing.T, err error, kind apperr.Kind, what string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != kind {
		t.Fatalf("%s: got %v, want kind %d", what, err, kind)
	}
}

// An admin registers a subscription: its secret is answered once and only
// hinted at after; invalid input is refused field by field and stores
// nothing; other roles are refused every operation.
func TestWebhooksAdminOnly(t *testing.T) {
	gdb := freshDB(t)
	hooks := app.NewWebhooks(store.NewWebhooks(gdb), webhook.Policy{})
	ctx := as("admin-ada", auth.RoleAdmin)
	stored := func() int64 {
		var n int64
		if err := gdb.Raw("SELECT COUNT(*) FROM webhook_subscriptions").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	created, err := hooks.Create(ctx, app.WebhookInput{URL: "https://hooks.example.com/closeloop", Description: "ops chat",
		EventKinds: []string{domain.EventEscalation, domain.EventHandover}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := webhook.ParseSecret(created.Secret)
	if err != nil || !strings.HasPrefix(created.Secret, "whsec_") {
		t.Fatalf("the created secret %q does not parse: %v", created.Secret, err)
	}
	if created.ID == "" || !created.Enabled || created.CreatedBy != "admin-ada" || created.Failures != 0 || created.PreviousSecretUntil != nil ||
		created.SecretHint != "whsec_…"+created.Secret[len(created.Secret)-4:] {
		t.Fatalf("created: %+v", created.WebhookView)
	}

	// Afterwards: the hint, never the secret, in a single read and a list.
	got, err := hooks.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := hooks.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != created.ID {
		t.Fatalf("list: %+v, %v", list, err)
	}
	for what, v := range map[string]any{"get": got, "list": list} {
		body, _ := json.Marshal(v)
		key := strings.TrimPrefix(created.Secret, "whsec_")
		if strings.Contains(string(body), key) || strings.Contains(string(body), `"secret"`) ||
			!strings.Contains(string(body), `"secret_hint":"whsec_…`+created.Secret[len(created.Secret)-4:]+`"`) {
			t.Errorf("%s shows %s", what, body)
		}
	}

	// A secret the receiver handed out is kept as given.
	own := webhook.NewSecret()
	mine, err := hooks.Create(ctx, app.WebhookInput{URL: "https://hooks.example.com/own", EventKinds: []string{domain.EventReminder}, Secret: "  " + own.Reveal() + "\n"})
	if err != nil || mine.Secret != own.Reveal() || secret.Equal(own) {
		t.Fatalf("own secret: %q, %v", mine.Secret, err)
	}
	if err := hooks.Delete(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}

	good := func() app.WebhookInput {
		return app.WebhookInput{URL: "https://hooks.example.com/x", EventKinds: []string{domain.EventReminder}}
	}
	for _, c := range []struct {
		name   string
		change func(*app.WebhookInput)
		want   []string
	}{
		{"plain http", func(in *app.WebhookInput) { in.URL = "http://hooks.example.com/x" }, []string{"url:not_https"}},
		{"loopback", func(in *app.WebhookInput) { in.URL = "https://127.0.0.1/x" }, []string{"url:private_address"}},
		{"private network", func(in *app.WebhookInput) { in.URL = "https://10.0.0.1:8443/x" }, []string{"url:private_address"}},
		{"localhost", func(in *app.WebhookInput) { in.URL = "https://localhost/x" }, []string{"url:private_address"}},
		{"cloud metadata", func(in *app.WebhookInput) { in.URL = "https://169.254.169.254/latest" }, []string{"url:private_address"}},
		{"unknown event kind", func(in *app.WebhookInput) { in.EventKinds = []string{"reminder", "payday"} }, []string{"event_kinds:invalid"}},
		{"no event kinds", func(in *app.WebhookInput) { in.EventKinds = nil }, []string{"event_kinds:required"}},
		{"empty event kinds", func(in *app.WebhookInput) { in.EventKinds = []string{} }, []string{"event_kinds:required"}},
		{"long description", func(in *app.WebhookInput) { in.Description = strings.Repeat("d", 301) }, []string{"description:too_long"}},
		{"short secret", func(in *app.WebhookInput) { in.Secret = "whsec_" + strings.Repeat("A", 28) }, []string{"secret:secret_too_short"}}, // 21 bytes
		{"not a whsec secret", func(in *app.WebhookInput) { in.Secret = "sk_live_" + strings.Repeat("x", 40) }, []string{"secret:invalid_secret"}},
		{"asymmetric secret", func(in *app.WebhookInput) {
			in.Secret = "whsk_" + strings.TrimPrefix(webhook.NewSecret().Reveal(), "whsec_")
		}, []string{"secret:invalid_secret"}},
		{"everything at once", func(in *app.WebhookInput) {
			in.URL, in.EventKinds, in.Secret = "http://10.0.0.1/x", nil, "whsec_short"
		}, []string{"url:not_https", "event_kinds:required", "secret:invalid_secret"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := good()
			c.change(&in)
			_, err := hooks.Create(ctx, in)
			wantFields(t, err, c.want...)
			if n := stored(); n != 1 {
				t.Fatalf("%d subscriptions stored after a refused one, want 1", n)
			}
		})
	}

	// The administrators may allow plain http and private addresses.
	lax := app.NewWebhooks(store.NewWebhooks(gdb), webhook.Policy{AllowHTTP: true, AllowPrivate: true})
	for _, u := range []string{"http://10.0.0.1:8080/hook", "https://127.0.0.1/hook"} {
		v, err := lax.Create(ctx, app.WebhookInput{URL: u, EventKinds: []string{domain.EventWinback}})
		if err != nil {
			t.Fatalf("%s under a lax policy: %v", u, err)
		}
		if err := lax.Delete(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
	}

	// Everyone else: 403 on every operation, and nothing changes; no
	// principal: 401.
	for _, role := range []auth.Role{auth.RoleRep, auth.RoleManager, auth.RoleAnalyst} {
		ctx := as("someone", role)
		_, err := hooks.Create(ctx, good())
		wantKind(t, err, apperr.KindForbidden, string(role)+" create")
		_, err = hooks.List(ctx)
		wantKind(t, err, apperr.KindForbidden, string(role)+" list")
		_, err = hooks.Get(ctx, created.ID)
		wantKind(t, err, apperr.KindForbidden, string(role)+" get")
		off := false
		_, err = hooks.Update(ctx, created.ID, app.WebhookPatch{Enabled: &off})
		wantKind(t, err, apperr.KindForbidden, string(role)+" update")
		_, err = hooks.RotateSecret(ctx, created.ID, app.WebhookRotateInput{})
		wantKind(t, err, apperr.KindForbidden, string(role)+" rotate")
		wantKind(t, hooks.Delete(ctx, created.ID), apperr.KindForbidden, string(role)+" delete")
	}
	_, err = hooks.List(context.Background())
	wantKind(t, err, apperr.KindUnauthenticated, "no principal")
	if after, _ := hooks.Get(ctx, created.ID); !after.Enabled || after.SecretHint != created.SecretHint || stored() != 1 {
		t.Fatalf("a refused caller changed something: %+v", after)
	}

	// Unknown ids: 404.
	_, err = hooks.Get(ctx, "nope")
	wantKind(t, err, apperr.KindNotFound, "get unknown")
	_, err = hooks.RotateSecret(ctx, "nope", app.WebhookRotateInput{})
	wantKind(t, err, apperr.KindNotFound, "rotate unknown")
	wantKind(t, hooks.Delete(ctx, "nope"), apperr.KindNotFound, "delete unknown")
}

// Rotation answers the new secret once; the old one signs too for 24
// hours; a failing receiver is switched off after N failures in a row with
// the reason shown; an admin switches it on again with a clean slate;
// changes are checked like a registration.
func TestWebhooksRotateDisableEnable(t *testing.T) {
	gdb := freshDB(t)
	repo := store.NewWebhooks(gdb)
	hooks := app.NewWebhooks(repo, webhook.Policy{})
	ctx := as("admin-ada", auth.RoleAdmin)
	created, err := hooks.Create(ctx, app.WebhookInput{URL: "https://hooks.example.com/a", EventKinds: []string{domain.EventEscalation}})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := webhook.ParseSecret(created.Secret)

	before := time.Now().Truncate(time.Microsecond)
	rotated, err := hooks.RotateSecret(ctx, created.ID, app.WebhookRotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := webhook.ParseSecret(rotated.Secret)
	if err != nil || next.Equal(old) || rotated.SecretHint == created.SecretHint {
		t.Fatalf("rotated to %q (%v)", rotated.Secret, err)
	}
	until := rotated.PreviousSecretUntil
	if until == nil || until.Before(before.Add(24*time.Hour)) || until.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("the old secret signs until %v, want 24 hours from now", until)
	}
	s, err := repo.Get(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Signing(until.Add(-time.Minute)); !slices.EqualFunc(got, []webhook.Secret{next, old}, webhook.Secret.Equal) {
		t.Fatalf("a minute before the overlap ends: %d secrets sign", len(got))
	}
	if got := s.Signing(*until); !slices.EqualFunc(got, []webhook.Secret{next}, webhook.Secret.Equal) {
		t.Fatalf("when the overlap ends: %d secrets sign", len(got))
	}
	if got, _ := hooks.Get(ctx, created.ID); got.PreviousSecretUntil == nil || !got.PreviousSecretUntil.Equal(*until) {
		t.Fatalf("get after a rotation: %+v", got)
	}

	// A rotation to the receiver's own secret; a bad one changes nothing.
	_, err = hooks.RotateSecret(ctx, created.ID, app.WebhookRotateInput{Secret: "whsec_dG9vIHNob3J0"})
	wantFields(t, err, "secret:secret_too_short")
	if got, _ := repo.Get(context.Background(), created.ID); !got.Secret.Equal(next) {
		t.Fatal("a refused rotation changed the secret")
	}

	// Five failures in a row switch it off; the fifth says so.
	const disableAfter = 5
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= disableAfter; i++ {
		off, err := repo.Attempt(context.Background(), created.ID, false, "HTTP 503 Service Unavailable", at.Add(time.Duration(i)*time.Minute), disableAfter)
		if err != nil || off != (i == disableAfter) {
			t.Fatalf("failure %d: disabled %v, %v", i, off, err)
		}
	}
	got, err := hooks.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "disabled after 5 consecutive failed deliveries since 2026-03-02T09:01:00Z; last: HTTP 503 Service Unavailable"
	if got.Enabled || got.DisabledReason != want || got.DisabledAt == nil || got.Failures != disableAfter || got.FailingSince == nil {
		t.Fatalf("after %d failures: %+v", disableAfter, got)
	}
	if subs, _ := repo.For(context.Background(), domain.EventEscalation); len(subs) != 0 {
		t.Fatal("a disabled subscription is still sent messages")
	}

	// A change that makes it invalid is refused whole.
	bad, kinds := "https://192.168.1.10/hook", []string{}
	_, err = hooks.Update(ctx, created.ID, app.WebhookPatch{URL: &bad, EventKinds: &kinds})
	wantFields(t, err, "url:private_address", "event_kinds:required")
	if got, _ := hooks.Get(ctx, created.ID); got.URL != "https://hooks.example.com/a" || got.Enabled {
		t.Fatalf("a refused change was stored: %+v", got)
	}

	// Re-enabled: no failures, no reason.
	on := true
	got, err = hooks.Update(ctx, created.ID, app.WebhookPatch{Enabled: &on})
	if err != nil || !got.Enabled || got.Failures != 0 || got.FailingSince != nil || got.DisabledReason != "" || got.DisabledAt != nil {
		t.Fatalf("re-enabled: %+v, %v", got, err)
	}
	if subs, _ := repo.For(context.Background(), domain.EventEscalation); len(subs) != 1 {
		t.Fatal("a re-enabled subscription is not sent messages")
	}

	// Changed and switched off by an admin.
	url, desc, off := "https://hooks.example.com/b", "moved", false
	got, err = hooks.Update(ctx, created.ID, app.WebhookPatch{URL: &url, Description: &desc, EventKinds: &[]string{domain.EventWinback, domain.EventReminder}, Enabled: &off})
	if err != nil || got.URL != url || got.Description != desc || !slices.Equal(got.EventKinds, []string{domain.EventWinback, domain.EventReminder}) ||
		got.Enabled || got.DisabledReason != "disabled by admin-ada" {
		t.Fatalf("changed: %+v, %v", got, err)
	}

	if err := hooks.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = hooks.Get(ctx, created.ID)
	wantKind(t, err, apperr.KindNotFound, "get deleted")
}
