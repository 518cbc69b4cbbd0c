package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestThrottledMissSeesAConcurrentFetch: a token that missed on a snapshot
// of the cache taken just before another request's fetch brought its key is
// checked against the new keys, not refused because the next fetch is not
// due yet; a miss on the current keys is refused without a fetch.
func TestThrottledMissSeesAConcurrentFetch(t *testing.T) {
	var (
		mu   sync.Mutex
		set  jose.JSONWebKeySet
		hits int
	)
	add := func(kid string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
		mu.Unlock()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits++
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	now := time.Now()
	s := newKeySet(srv.URL, srv.Client(), 30*time.Second, 5*time.Minute, func() time.Time { return now })
	add("old")
	if err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := s.cached()

	add("new")
	now = now.Add(31 * time.Second)
	if _, err := s.refetch(context.Background(), s.cached()); err != nil { // another request's miss
		t.Fatal(err)
	}
	keys, err := s.refetch(context.Background(), seen) // throttled, but the cache moved on
	if err != nil || len(keys) != 2 {
		t.Fatalf("throttled miss on a stale snapshot: %d keys, %v", len(keys), err)
	}
	if _, err := s.refetch(context.Background(), s.cached()); !errors.Is(err, errUnknownKey) {
		t.Fatalf("throttled miss on the current keys: %v", err)
	}
	if hits != 2 {
		t.Fatalf("%d fetches, want 2", hits)
	}
}
