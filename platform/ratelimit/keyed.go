// Package ratelimit is Closeloop's rate limiting: token buckets per key — a
// client address, a user — in bounded memory (keyed.go), and the gin
// middleware every service runs them as (http.go): per client address before
// authentication, per user after it, tighter for a user's writes. A refused
// request is answered 429 with a Retry-After header and the JSON error body
// (code rate_limited), and counted in the metric MetricRefused.
//
// Limits are per process: behind a load balancer a client gets each
// replica's allowance. The buckets are golang.org/x/time/rate limiters.
package ratelimit

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rule is one token bucket: it holds at most Burst tokens and refills at RPS
// tokens a second; a request takes one. A rule with RPS 0 (or less) is off.
type Rule struct {
	RPS   float64
	Burst int
}

// On reports whether the rule limits anything.
func (r Rule) On() bool { return r.RPS > 0 }

// fill is how long an empty bucket of r takes to be full again.
func (r Rule) fill() time.Duration {
	return time.Duration(float64(r.Burst) / r.RPS * float64(time.Second))
}

// Keyed holds, for each key, one bucket per rule it was made with; which of
// them a request takes from is the caller's choice (a read takes from the
// user's bucket, a write from that one and the write bucket).
//
// Memory is bounded two ways. A key unused for as long as its slowest bucket
// takes to fill up again is forgotten: a fresh one would be exactly the
// same. And at most maxKeys keys are held: a new key beyond that pushes out
// the least recently used one, which starts afresh when it comes back (under
// a flood of distinct keys, the ones not seen for longest lose their
// history first). Both are done as keys are used; there is no goroutine.
type Keyed struct {
	rules []Rule
	max   int
	idle  time.Duration // a key unused this long has full buckets

	mu   sync.Mutex
	keys map[string]*list.Element
	lru  list.List // of *bucket; front: most recently used
}

type bucket struct {
	key  string
	used time.Time       // when a token was last taken
	lims []*rate.Limiter // by rule; nil where the rule is off
}

// NewKeyed returns buckets for rules, for at most maxKeys keys (at least 1).
func NewKeyed(maxKeys int, rules ...Rule) *Keyed {
	k := &Keyed{rules: rules, max: max(maxKeys, 1), keys: map[string]*list.Element{}}
	for _, r := range rules {
		if r.On() {
			k.idle = max(k.idle, r.fill())
		}
	}
	return k
}

// Take takes one token from each bucket of key that rules name (indexes
// into the rules given to NewKeyed; rules that are off are skipped), all or
// none. It returns 0 and -1 when the request may go ahead; otherwise how
// long until it could — the delay of the limiters' reservations, which are
// then cancelled, so a refused request costs nothing — and the rule that
// refused (the one whose token comes last).
func (k *Keyed) Take(now time.Time, key string, rules ...int) (time.Duration, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.forget(now)
	b := k.bucket(now, key, true)
	wait, refused := k.reserve(now, b, rules, true)
	if wait == 0 {
		b.used = now
	}
	return wait, refused
}

// Wait is what Take would answer, taking nothing.
func (k *Keyed) Wait(now time.Time, key string, rules ...int) (time.Duration, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.bucket(now, key, false)
	if b == nil {
		return 0, -1 // unknown: full
	}
	return k.reserve(now, b, rules, false)
}

// Charge takes a token from each bucket of key that rules name where there
// is one, refusing nothing (the cost of a request already let through).
func (k *Keyed) Charge(now time.Time, key string, rules ...int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.forget(now)
	b := k.bucket(now, key, true)
	for _, i := range rules {
		if lim := b.lims[i]; lim != nil {
			lim.AllowN(now, 1)
		}
	}
	b.used = now
}

// Len is the number of keys held.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// reserve reserves a token of each named bucket of b and keeps the
// reservations only when keep is set and none has to wait. k.mu is held, so
// nothing else uses b's limiters between a reservation and its cancellation,
// and cancelling at the same instant restores the token exactly.
func (k *Keyed) reserve(now time.Time, b *bucket, rules []int, keep bool) (time.Duration, int) {
	var rs [4]*rate.Reservation
	res := rs[:0]
	wait, refused := time.Duration(0), -1
	for _, i := range rules {
		lim := b.lims[i]
		if lim == nil {
			continue
		}
		r := lim.ReserveN(now, 1)
		res = append(res, r)
		if d := r.DelayFrom(now); d > wait {
			wait, refused = d, i
		}
	}
	if wait > 0 || !keep {
		for _, r := range res {
			r.CancelAt(now)
		}
	}
	return wait, refused
}

// bucket returns key's buckets, marking them most recently used; a missing
// key is added when create is set (pushing out the least recently used key
// when full) and nil otherwise.
func (k *Keyed) bucket(now time.Time, key string, create bool) *bucket {
	if e, ok := k.keys[key]; ok {
		if create {
			k.lru.MoveToFront(e)
		}
		return e.Value.(*bucket)
	}
	if !create {
		return nil
	}
	if len(k.keys) >= k.max {
		k.drop(k.lru.Back())
	}
	b := &bucket{key: key, used: now, lims: make([]*rate.Limiter, len(k.rules))}
	for i, r := range k.rules {
		if r.On() {
			b.lims[i] = rate.NewLimiter(rate.Limit(r.RPS), r.Burst)
		}
	}
	k.keys[key] = k.lru.PushFront(b)
	return b
}

// forget drops the keys whose buckets are full again. Keys are in the order
// of their last use, so it looks only at the oldest.
func (k *Keyed) forget(now time.Time) {
	for e := k.lru.Back(); e != nil; e = k.lru.Back() {
		if now.Sub(e.Value.(*bucket).used) < k.idle {
			return
		}
		k.drop(e)
	}
}

func (k *Keyed) drop(e *list.Element) {
	delete(k.keys, e.Value.(*bucket).key)
	k.lru.Remove(e)
}
