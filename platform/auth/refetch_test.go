package auth_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

// TestKeyRotationIsPickedUp: a key the issuer publishes after the verifier
// fetched the set verifies once the minimum refetch interval has passed since
// that fetch (immediately after a quiet spell), while old keys still in the
// set keep verifying; and concurrent tokens with the new kid share one fetch.
func TestKeyRotationIsPickedUp(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("old", true)
	clock := newClock()
	v := newVerifierWith(t, ki.url, auth.DefaultOIDCOptions(), clock)
	if err := verify(v, ki.tokenAt(clock, "old")); err != nil {
		t.Fatal(err)
	}

	ki.addKey("new", true) // rotation: the new key is published next to the old one
	newTok := func() string { return ki.tokenAt(clock, "new") }
	clock.advance(10 * time.Second)
	if r := reasonOf(verify(v, newTok())); r != "unknown_key" {
		t.Fatalf("new key 10 s after the last fetch: %s, want unknown_key (no refetch before OIDC_JWKS_MIN_REFRESH)", r)
	}
	if n := ki.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	clock.advance(21 * time.Second)
	// Concurrent first users of the new key: one fetch, all accepted.
	gate := make(chan struct{})
	ki.set(func(ki *keyIssuer) { ki.gate = gate })
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() { errs <- verify(v, newTok()) })
	}
	time.Sleep(100 * time.Millisecond) // let them all miss and queue on the fetch
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("new key after the interval: %v", err)
		}
	}
	if n := ki.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2 (concurrent misses share one)", n)
	}
	if err := verify(v, ki.tokenAt(clock, "old")); err != nil {
		t.Errorf("the old key, still published: %v", err)
	}

	// The old key is withdrawn and a third one comes much later: picked up at once.
	ki.addKey("third", false)
	ki.publish("new", "third")
	clock.advance(time.Hour)
	if err := verify(v, ki.tokenAt(clock, "third")); err != nil {
		t.Fatalf("a key published after a quiet hour: %v", err)
	}
	if err := verify(v, ki.tokenAt(clock, "old")); reasonOf(err) != "unknown_key" {
		t.Errorf("a withdrawn key: %v", err)
	}
}

// TestRefetchWaitGrowsUnderAFlood: a forged token every second for an hour
// makes the verifier refetch after 30 s, 60 s, 2 min, 4 min, then every 5
// min (OIDC_JWKS_MAX_REFRESH); a rotation during the flood is picked up
// within 5 min, after which the wait starts again at 30 s.
func TestRefetchWaitGrowsUnderAFlood(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	clock := newClock()
	v := newVerifierWith(t, ki.url, auth.DefaultOIDCOptions(), clock)
	if err := verify(v, ki.tokenAt(clock, "k1")); err != nil {
		t.Fatal(err)
	}
	start := clock.now()
	var at []time.Duration
	for range 3600 {
		clock.advance(time.Second)
		before := ki.fetches.Load()
		_ = verify(v, ki.tokenAt(clock, randomKID(t)))
		if ki.fetches.Load() != before {
			at = append(at, clock.now().Sub(start))
		}
	}
	want := []time.Duration{30, 90, 210, 450, 750, 1050, 1350, 1650, 1950, 2250, 2550, 2850, 3150, 3450}
	if len(at) != len(want) {
		t.Fatalf("refetches at %v, want at %v seconds", at, want)
	}
	for i := range want {
		if at[i] != want[i]*time.Second {
			t.Fatalf("refetches at %v, want at %v seconds", at, want)
		}
	}

	// Rotation during the flood: the next allowed fetch (≤ 5 min) brings it.
	ki.addKey("k2", true)
	var accepted time.Duration
	for i := 1; i <= 301 && accepted == 0; i++ {
		clock.advance(time.Second)
		if verify(v, ki.tokenAt(clock, "k2")) == nil {
			accepted = time.Duration(i) * time.Second
		}
	}
	if accepted == 0 || accepted > 5*time.Minute {
		t.Fatalf("rotated key during a flood: accepted after %v, want within 5 min", accepted)
	}
	// A fetch that found a new key resets the wait to 30 s.
	before := ki.fetches.Load()
	clock.advance(29 * time.Second)
	_ = verify(v, ki.tokenAt(clock, randomKID(t)))
	clock.advance(2 * time.Second)
	_ = verify(v, ki.tokenAt(clock, randomKID(t)))
	if n := ki.fetches.Load() - before; n != 1 {
		t.Fatalf("%d fetches in the 31 s after a rotation was fetched, want 1 (at 30 s)", n)
	}
}

// TestKeySetFetchFailure: when the issuer's JWKS fails after discovery, known
// keys keep verifying, a token with an unknown kid gets 401 unknown_key (not
// an error page), and the failure counts as a fetch for the waits.
func TestKeySetFetchFailure(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	clock := newClock()
	v := newVerifierWith(t, ki.url, auth.DefaultOIDCOptions(), clock)
	if err := verify(v, ki.tokenAt(clock, "k1")); err != nil {
		t.Fatal(err)
	}
	ki.set(func(ki *keyIssuer) { ki.status = http.StatusInternalServerError })
	clock.advance(31 * time.Second)
	for range 20 {
		if r := reasonOf(verify(v, ki.tokenAt(clock, randomKID(t)))); r != "unknown_key" {
			t.Fatalf("unknown kid while the JWKS fails: %s", r)
		}
	}
	if n := ki.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	if err := verify(v, ki.tokenAt(clock, "k1")); err != nil {
		t.Errorf("a cached key while the JWKS fails: %v", err)
	}
}

// tokenAt is an access token signed with kid whose claims are issued at the
// test clock's now.
func (ki *keyIssuer) tokenAt(c *clock, kid string) string {
	return ki.sign(kid, "", false, ki.claims(c.now(), nil))
}
