package domain_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

const (
	unsubKey  = "a test key of at least thirty-two bytes, not for production"
	unsubCust = "0190d5c8-0000-7000-8000-000000000001"
	unsubCamp = "0190d5c8-0000-7000-8000-0000000000aa"
)

func signer(t *testing.T, key string) domain.UnsubscribeSigner {
	t.Helper()
	s, err := domain.NewUnsubscribeSigner(key, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUnsubscribeLink: a link the service signed names its customer and
// campaign until a second before it expires; from its expiry on it is
// expired (410); altered, cut short, signed under another key or not a
// token at all, it is invalid (400). An altered expiry is invalid, not
// expired: the signature is checked first.
func TestUnsubscribeLink(t *testing.T) {
	s := signer(t, unsubKey)
	token, err := s.Sign(unsubCust, unsubCamp, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 98 || strings.ContainsAny(token, "+/=.") {
		t.Fatalf("token %q: 98 URL-safe characters", token)
	}
	expires := t0.Add(30 * 24 * time.Hour)
	u, err := s.Check(token, expires.Add(-time.Second))
	if err != nil || u.CustomerID != unsubCust || u.CampaignID != unsubCamp || !u.ExpiresAt.Equal(expires) {
		t.Fatalf("a second before expiry: %+v %v", u, err)
	}
	if _, err := s.Check(token, expires); !errors.Is(err, domain.ErrUnsubscribeExpired) || apperr.From(err).Kind != apperr.KindRule {
		t.Errorf("at its expiry: %v", err)
	}

	raw, _ := base64.RawURLEncoding.DecodeString(token)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other, _ := signer(t, strings.ToUpper(unsubKey)).Sign(unsubCust, unsubCamp, t0)
	for name, bad := range map[string]string{
		"another customer": flip(5), "another campaign": flip(20), "a later expiry": flip(40), "an altered signature": flip(60),
		"another version": flip(0), "cut short": token[:97], "one character more": token + "A", "another key's": other,
		"not base64": strings.Repeat("*", 98), "empty": "",
	} {
		if _, err := s.Check(bad, t0); !errors.Is(err, domain.ErrUnsubscribeInvalid) || apperr.From(err).Kind != apperr.KindInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An altered expiry stays invalid after the real one has passed.
	if _, err := s.Check(flip(40), expires.Add(time.Hour)); !errors.Is(err, domain.ErrUnsubscribeInvalid) {
		t.Errorf("an altered, expired link: %v", err)
	}
}

func TestUnsubscribeSignerRefusesWeakSetup(t *testing.T) {
	if _, err := domain.NewUnsubscribeSigner(strings.Repeat("k", 31), time.Hour); err == nil {
		t.Error("a key of 31 bytes was taken")
	}
	if _, err := domain.NewUnsubscribeSigner(unsubKey, 0); err == nil {
		t.Error("a lifetime of 0 was taken")
	}
	if _, err := signer(t, unsubKey).Sign("nope", unsubCamp, t0); err == nil {
		t.Error("a customer id that is no UUID was signed")
	}
}
