package webhook_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/webhook"
)

// The Standard Webhooks test vector, as published in the specification's
// reference libraries (standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go TestWebhookSign, and the same values in the
// javascript, python, ruby, php, java and csharp tests).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorUnix      = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var vectorTime = time.Unix(vectorUnix, 0)

func mustSecret(t *testing.T, s string) webhook.Secret {
	t.Helper()
	sec, err := webhook.ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", s, err)
	}
	return sec
}

// secretOf returns a whsec_ secret with n bytes of key, each byte fill.
func secretOf(n int, fill byte) string {
	return webhook.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n))
}

func TestSignMatchesSpecVector(t *testing.T) {
	// The reference libraries accept the secret with and without its prefix.
	for _, s := range []string{vectorSecret, strings.TrimPrefix(vectorSecret, "whsec_")} {
		got, err := webhook.Sign(vectorMsgID, vectorTime, []byte(vectorBody), mustSecret(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if got != vectorSignature {
			t.Errorf("Sign with secret %q = %q, want %q", s, got, vectorSignature)
		}
	}
}

func TestHeadersCarryTheSpecVector(t *testing.T) {
	h, err := webhook.Headers(vectorMsgID, vectorTime, []byte(vectorBody), mustSecret(t, vectorSecret))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"webhook-id":        vectorMsgID,
		"webhook-timestamp": "1614265330",
		"webhook-signature": vectorSignature,
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// vectorHeader is the delivery of the spec vector as a receiver sees it.
func vectorHeader() http.Header {
	h := http.Header{}
	h.Set("webhook-id", vectorMsgID)
	h.Set("webhook-timestamp", fmt.Sprint(vectorUnix))
	h.Set("webhook-signature", vectorSignature)
	return h
}

func TestVerify(t *testing.T) {
	secret := mustSecret(t, vectorSecret)
	other := mustSecret(t, secretOf(32, 7))
	body := []byte(vectorBody)
	tests := []struct {
		name    string
		edit    func(h http.Header)
		body    []byte
		now     time.Time
		tol     time.Duration
		secrets []webhook.Secret
		want    error
	}{
		{name: "spec vector", want: nil},
		{name: "spec vector among other secrets", secrets: []webhook.Secret{other, secret}, want: nil},
		{name: "only a wrong secret", secrets: []webhook.Secret{other}, want: webhook.ErrNoMatchingSignature},
		{name: "matching entry among foreign versions and junk", edit: func(h http.Header) {
			h.Set("webhook-signature", "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== "+
				"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,"+strings.TrimPrefix(vectorSignature, "v1,")+" v1, junk  "+vectorSignature)
		}, want: nil},
		{name: "right signature under another version", edit: func(h http.Header) {
			h.Set("webhook-signature", "v2,"+strings.TrimPrefix(vectorSignature, "v1,"))
		}, want: webhook.ErrNoMatchingSignature},
		{name: "empty v1 signature", edit: func(h http.Header) { h.Set("webhook-signature", "v1,") }, want: webhook.ErrNoMatchingSignature},
		{name: "signature not base64", edit: func(h http.Header) { h.Set("webhook-signature", "v1,dawfeoifkpqwoekfpqoekf") }, want: webhook.ErrNoMatchingSignature},
		{name: "truncated signature", edit: func(h http.Header) { h.Set("webhook-signature", vectorSignature[:30]) }, want: webhook.ErrNoMatchingSignature},
		{name: "tampered body", body: []byte(`{"test": 2432232315}`), want: webhook.ErrNoMatchingSignature},
		{name: "re-encoded body", body: []byte(`{"test":2432232314}`), want: webhook.ErrNoMatchingSignature},
		{name: "tampered id", edit: func(h http.Header) { h.Set("webhook-id", vectorMsgID+"x") }, want: webhook.ErrNoMatchingSignature},
		{name: "tampered timestamp within tolerance", edit: func(h http.Header) { h.Set("webhook-timestamp", "1614265331") }, want: webhook.ErrNoMatchingSignature},
		{name: "missing id", edit: func(h http.Header) { h.Del("webhook-id") }, want: webhook.ErrMissingHeaders},
		{name: "missing timestamp", edit: func(h http.Header) { h.Del("webhook-timestamp") }, want: webhook.ErrMissingHeaders},
		{name: "missing signature", edit: func(h http.Header) { h.Del("webhook-signature") }, want: webhook.ErrMissingHeaders},
		{name: "blank signature", edit: func(h http.Header) { h.Set("webhook-signature", "  ") }, want: webhook.ErrMissingHeaders},
		{name: "timestamp not a number", edit: func(h http.Header) { h.Set("webhook-timestamp", "yesterday") }, want: webhook.ErrInvalidTimestamp},
		{name: "fractional timestamp", edit: func(h http.Header) { h.Set("webhook-timestamp", "1614265330.0") }, want: webhook.ErrInvalidTimestamp},
		{name: "signed timestamp", edit: func(h http.Header) { h.Set("webhook-timestamp", "+1614265330") }, want: webhook.ErrInvalidTimestamp},
		{name: "timestamp in milliseconds", edit: func(h http.Header) { h.Set("webhook-timestamp", "1614265330000") }, want: webhook.ErrTimestampTooNew},
		// The default tolerance, five minutes, on both sides of both edges.
		{name: "received 5m after sending", now: vectorTime.Add(5 * time.Minute), want: nil},
		{name: "received 5m1s after sending", now: vectorTime.Add(5*time.Minute + time.Second), want: webhook.ErrTimestampTooOld},
		{name: "received 5m before sending", now: vectorTime.Add(-5 * time.Minute), want: nil},
		{name: "received 5m1s before sending", now: vectorTime.Add(-5*time.Minute - time.Second), want: webhook.ErrTimestampTooNew},
		{name: "received a day later", now: vectorTime.Add(24 * time.Hour), want: webhook.ErrTimestampTooOld},
		// An explicit tolerance replaces the default.
		{name: "10s tolerance, 10s late", now: vectorTime.Add(10 * time.Second), tol: 10 * time.Second, want: nil},
		{name: "10s tolerance, 11s late", now: vectorTime.Add(11 * time.Second), tol: 10 * time.Second, want: webhook.ErrTimestampTooOld},
		{name: "10s tolerance, 11s early", now: vectorTime.Add(-11 * time.Second), tol: 10 * time.Second, want: webhook.ErrTimestampTooNew},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := vectorHeader()
			if tc.edit != nil {
				tc.edit(h)
			}
			b, now, secrets := body, vectorTime, []webhook.Secret{secret}
			if tc.body != nil {
				b = tc.body
			}
			if !tc.now.IsZero() {
				now = tc.now
			}
			if tc.secrets != nil {
				secrets = tc.secrets
			}
			err := webhook.Verify(h, b, now, tc.tol, secrets...)
			if tc.want == nil && err != nil {
				t.Fatalf("Verify = %v, want success", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyErrorsTellClientsWhatHappened(t *testing.T) {
	h := vectorHeader()
	err := webhook.Verify(h, []byte(vectorBody), vectorTime.Add(6*time.Minute), 0, mustSecret(t, vectorSecret))
	e := apperr.From(err)
	if e.Kind != apperr.KindUnauthenticated || e.Code != "webhook_timestamp_too_old" {
		t.Fatalf("Verify of a stale delivery = %v, want an unauthenticated webhook_timestamp_too_old", err)
	}
	if !strings.Contains(e.Message, "6m0s in the past") || !strings.Contains(e.Message, "5m0s") {
		t.Errorf("message %q should say how old the delivery is and what is accepted", e.Message)
	}

	h.Del("webhook-id")
	if e := apperr.From(webhook.Verify(h, []byte(vectorBody), vectorTime, 0, mustSecret(t, vectorSecret))); e.Kind != apperr.KindInvalid {
		t.Errorf("missing headers: kind %v, want KindInvalid (400)", e.Kind)
	}
}

func TestRotationEitherSecretVerifies(t *testing.T) {
	previous, current := mustSecret(t, secretOf(24, 1)), mustSecret(t, secretOf(32, 2))
	body := []byte(`{"type":"lead.assigned","data":{"id":"L-1"}}`)
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

	h, err := webhook.Headers("msg_rotation", now, body, current, previous)
	if err != nil {
		t.Fatal(err)
	}
	sigs := strings.Fields(h.Get("webhook-signature"))
	if len(sigs) != 2 || sigs[0] == sigs[1] {
		t.Fatalf("webhook-signature = %q, want two different signatures", h.Get("webhook-signature"))
	}
	for name, s := range map[string]webhook.Secret{"previous": previous, "current": current} {
		if err := webhook.Verify(h, body, now, 0, s); err != nil {
			t.Errorf("receiver holding the %s secret: %v", name, err)
		}
	}
	if err := webhook.Verify(h, body, now, 0, mustSecret(t, secretOf(32, 3))); !errors.Is(err, webhook.ErrNoMatchingSignature) {
		t.Errorf("receiver holding neither secret: %v, want ErrNoMatchingSignature", err)
	}
}

func TestSignRefusesCallerMistakes(t *testing.T) {
	secret := mustSecret(t, vectorSecret)
	tests := []struct {
		name    string
		msgID   string
		secrets []webhook.Secret
		want    error
	}{
		{"no secret", "msg_1", nil, webhook.ErrNoSecret},
		{"zero secret", "msg_1", []webhook.Secret{secret, {}}, webhook.ErrNoSecret},
		{"empty id", "", []webhook.Secret{secret}, webhook.ErrInvalidMessageID},
		{"full stop in id", "msg_1.1614265330", []webhook.Secret{secret}, webhook.ErrInvalidMessageID},
		{"space in id", "msg 1", []webhook.Secret{secret}, webhook.ErrInvalidMessageID},
		{"newline in id", "msg_1\r\nx-evil: 1", []webhook.Secret{secret}, webhook.ErrInvalidMessageID},
		{"overlong id", strings.Repeat("m", 257), []webhook.Secret{secret}, webhook.ErrInvalidMessageID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := webhook.Sign(tc.msgID, vectorTime, nil, tc.secrets...); !errors.Is(err, tc.want) {
				t.Errorf("Sign = %v, want %v", err, tc.want)
			}
			if _, err := webhook.Headers(tc.msgID, vectorTime, nil, tc.secrets...); !errors.Is(err, tc.want) {
				t.Errorf("Headers = %v, want %v", err, tc.want)
			}
		})
	}
	// A receiver must not "verify" with an empty key either: anyone could sign.
	if err := webhook.Verify(vectorHeader(), []byte(vectorBody), vectorTime, 0, webhook.Secret{}); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("Verify with the zero Secret = %v, want ErrNoSecret", err)
	}
}
