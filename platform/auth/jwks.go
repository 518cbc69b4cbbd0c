package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds the key-set document read from the issuer.
const maxJWKSBytes = 1 << 20

// errUnknownKey is why a token is refused when it names a key the issuer's
// key set does not have and the set may not be refetched yet.
var errUnknownKey = errors.New("the token's key id is not in the issuer's key set")

// keySet is the issuer's JWKS, cached for the life of the verifier.
//
// A token whose kid is not in the cache (or, without kid, that no cached key
// verifies) is a miss. A miss refetches the set only when the last fetch is at
// least wait old; concurrent misses share that one fetch. Until then every
// unknown kid is refused without a request: the whole complement of the cached
// set is, in effect, negatively cached until the next allowed fetch, in O(1)
// memory however many random kids forged tokens carry. wait starts at
// minWait; a fetch that brings no new key (or fails) doubles it up to maxWait,
// and one that brings a new key (a rotation) resets it. So a flood of forged
// tokens costs each replica at most one fetch per maxWait once the wait has
// grown, while a real rotation after a quiet spell is picked up at its first
// token, or within minWait of the previous fetch.
type keySet struct {
	url              string
	client           *http.Client
	minWait, maxWait time.Duration
	now              func() time.Time

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	fetched  time.Time     // when the last fetch finished (successful or not)
	wait     time.Duration // how long after fetched the next miss may fetch
	inflight *keyFetch
}

// keyFetch is one fetch of the set that concurrent misses wait for.
type keyFetch struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

func newKeySet(url string, client *http.Client, minWait, maxWait time.Duration, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, minWait: minWait, maxWait: maxWait, now: now, wait: minWait}
}

// verify calls try with each cached key that may have signed a token with
// key id kid and algorithm alg, until one succeeds. On a miss it refetches the
// set when allowed (see keySet) and tries again; otherwise it returns
// errUnknownKey. A known kid whose key does not verify the signature is a
// forgery: the error of try is returned without a fetch.
func (s *keySet) verify(ctx context.Context, kid, alg string, try func(key any) error) error {
	seen := s.cached()
	if found, err := tryKeys(seen, kid, alg, try); found {
		return err
	}
	keys, err := s.refetch(ctx, seen)
	if err != nil {
		return err
	}
	if found, err := tryKeys(keys, kid, alg, try); found {
		return err
	}
	return errUnknownKey
}

// tryKeys tries the keys that match kid (every key when kid is empty) and
// alg. found reports whether a key with that kid exists (for an empty kid:
// whether one verified); err is nil when one verified.
func tryKeys(keys []jose.JSONWebKey, kid, alg string, try func(key any) error) (found bool, err error) {
	err = errUnknownKey
	for i := range keys {
		k := &keys[i]
		if kid != "" && k.KeyID != kid || k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if err = try(k.Key); err == nil {
			return true, nil
		}
		if kid != "" {
			found = true
		}
	}
	return found, err
}

func (s *keySet) cached() []jose.JSONWebKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys
}

// load fetches the set unconditionally: the first fetch, during discovery.
func (s *keySet) load(ctx context.Context) error {
	s.mu.Lock()
	f := s.startLocked()
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refetch joins the fetch in flight, or starts one if the last is at least
// wait old, and returns its keys. Otherwise it returns the cached keys if a
// fetch replaced them since the caller read seen, else errUnknownKey at once.
func (s *keySet) refetch(ctx context.Context, seen []jose.JSONWebKey) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	f := s.inflight
	if f == nil {
		if s.now().Before(s.fetched.Add(s.wait)) {
			keys := s.keys
			s.mu.Unlock()
			if len(keys) == len(seen) && (len(keys) == 0 || &keys[0] == &seen[0]) {
				return nil, errUnknownKey
			}
			return keys, nil
		}
		f = s.startLocked()
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, fmt.Errorf("%w (refetching the key set failed: %v)", errUnknownKey, f.err)
		}
		return f.keys, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startLocked starts a fetch, or returns the one in flight. s.mu is held.
func (s *keySet) startLocked() *keyFetch {
	if s.inflight != nil {
		return s.inflight
	}
	f := &keyFetch{done: make(chan struct{})}
	s.inflight = f
	go func() {
		keys, err := s.get()
		s.mu.Lock()
		switch {
		case err != nil:
			s.wait = min(2*s.wait, s.maxWait)
		case s.fetched.IsZero() || hasNewKey(s.keys, keys):
			s.keys, s.wait = keys, s.minWait
		default:
			s.keys, s.wait = keys, min(2*s.wait, s.maxWait)
		}
		s.fetched = s.now()
		s.inflight = nil
		f.keys, f.err = s.keys, err
		s.mu.Unlock()
		close(f.done)
	}()
	return f
}

// hasNewKey reports whether next has a key id that prev has not.
func hasNewKey(prev, next []jose.JSONWebKey) bool {
	for _, k := range next {
		if !slices.ContainsFunc(prev, func(p jose.JSONWebKey) bool { return p.KeyID == k.KeyID }) {
			return true
		}
	}
	return false
}

// get downloads and parses the key set. The request is bounded by the
// client's timeout, not by any caller's context: a caller giving up must not
// fail the fetch others wait for.
func (s *keySet) get() ([]jose.JSONWebKey, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch key set %s: %s", s.url, resp.Status)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("key set %s is larger than %d bytes", s.url, maxJWKSBytes)
	}
	return parseKeySet(body)
}

// parseKeySet reads a JWKS, keeping the public signing keys RS256 and ES256
// tokens can be checked with and skipping (RFC 7517 section 5) keys of other
// types, algorithms or uses.
func parseKeySet(body []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil || !k.IsPublic() || k.Use == "enc" ||
			k.Algorithm != "" && !slices.Contains(signingAlgs, jose.SignatureAlgorithm(k.Algorithm)) {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("key set has no RS256 or ES256 signing key")
	}
	return keys, nil
}
