package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

func randomKID(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestForgedKeyIDsDoNotRefetchTheKeySet: tokens naming key ids the issuer
// never published (what anyone can forge) are refused from the cache: 1,000 of
// them, concurrently, cost at most one fetch of the key set, and neither a
// forged token without kid nor one that names a real kid with another key's
// signature causes any.
func TestForgedKeyIDsDoNotRefetchTheKeySet(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	v := newVerifier(t, ki.url)
	ctx := context.Background()
	if _, err := v.Verify(ctx, ki.sign("k1", "", false, ki.claims(time.Now(), nil))); err != nil {
		t.Fatal(err)
	}
	if n := ki.fetches.Load(); n != 1 {
		t.Fatalf("%d key-set fetches after the first token, want 1", n)
	}

	const forged, workers = 1000, 10
	tokens := make(chan string, forged)
	for range forged {
		tokens <- ki.sign(randomKID(t), "", false, ki.claims(time.Now(), map[string]any{"roles": []string{"admin"}}))
	}
	close(tokens)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		reasons = map[string]int{}
	)
	for range workers {
		wg.Go(func() {
			for tok := range tokens {
				_, err := v.Verify(ctx, tok)
				mu.Lock()
				reasons[reasonOf(err)]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if reasons["unknown_key"] != forged {
		t.Errorf("forged tokens refused with %v, want %d × unknown_key", reasons, forged)
	}
	if n := ki.fetches.Load(); n > 2 {
		t.Fatalf("%d forged key ids caused %d key-set fetches, want at most 1", forged, n-1)
	}
	before := ki.fetches.Load()
	for range 50 {
		if r := reasonOf(verify(v, ki.sign("", "", true, ki.claims(time.Now(), nil)))); r != "unknown_key" {
			t.Fatalf("forged token without kid: %s", r)
		}
		if r := reasonOf(verify(v, ki.sign("k1-but-another-key", "", false, ki.claims(time.Now(), nil)))); r != "unknown_key" {
			t.Fatalf("forged token with an unknown kid: %s", r)
		}
	}
	// A real kid with a signature of another key.
	if r := reasonOf(verify(v, ki.forge("k1", ki.claims(time.Now(), nil)))); r != "signature" {
		t.Fatalf("known kid, wrong signature: %s", r)
	}
	if n := ki.fetches.Load(); n != before {
		t.Errorf("forged tokens without kid or with a known kid caused %d fetches", n-before)
	}
}

func verify(v auth.Verifier, tok string) error {
	_, err := v.Verify(context.Background(), tok)
	return err
}

// TestDiscoveryLoadsTheKeySet: the key set is part of discovery: an issuer
// whose JWKS cannot be fetched is unavailable (503), as is one whose jwks_uri
// is plain http on another host.
func TestDiscoveryLoadsTheKeySet(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	ki.set(func(ki *keyIssuer) { ki.status = http.StatusBadGateway })
	v := newVerifier(t, ki.url)
	tok := ki.sign("k1", "", false, ki.claims(time.Now(), nil))
	if err := verify(v, tok); !isUnavailable(err) {
		t.Fatalf("JWKS down at discovery: %v", err)
	}
	ki.set(func(ki *keyIssuer) { ki.status = 0 })
	if err := verify(v, tok); err != nil {
		t.Fatalf("JWKS back: %v", err)
	}

	insecure := newKeyIssuer(t)
	insecure.addKey("k1", true)
	insecure.set(func(ki *keyIssuer) { ki.jwksURL = "http://keys.example/jwks" })
	if err := verify(newVerifier(t, insecure.url), insecure.sign("k1", "", false, insecure.claims(time.Now(), nil))); !isUnavailable(err) {
		t.Fatalf("http jwks_uri on another host: %v", err)
	}
}

func isUnavailable(err error) bool {
	e, ok := errors.AsType[*apperr.Error](err)
	return ok && e.Kind == apperr.KindUnavailable && e.Code == "identity_provider_unavailable"
}
