package ratelimit

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func mustTake(t *testing.T, k *Keyed, now time.Time, key string, rules ...int) {
	t.Helper()
	if wait, rule := k.Take(now, key, rules...); wait != 0 || rule != -1 {
		t.Fatalf("%s at %s: refused (wait %s, rule %d), want allowed", key, now.Sub(t0), wait, rule)
	}
}

func mustRefuse(t *testing.T, k *Keyed, now time.Time, key string, wantWait time.Duration, wantRule int, rules ...int) {
	t.Helper()
	wait, rule := k.Take(now, key, rules...)
	if (wait-wantWait).Abs() > time.Microsecond || rule != wantRule {
		t.Fatalf("%s at %s: wait %s rule %d, want wait %s rule %d", key, now.Sub(t0), wait, rule, wantWait, wantRule)
	}
}

// A full bucket lets Burst requests through at once; the next waits for one
// token's refill, and the wait shrinks as time passes.
func TestBurstThenRefill(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 2, Burst: 3})
	for range 3 {
		mustTake(t, k, t0, "a", 0)
	}
	mustRefuse(t, k, t0, "a", 500*time.Millisecond, 0, 0)
	mustRefuse(t, k, at(200*time.Millisecond), "a", 300*time.Millisecond, 0, 0)
	mustTake(t, k, at(500*time.Millisecond), "a", 0)
	mustRefuse(t, k, at(500*time.Millisecond), "a", 500*time.Millisecond, 0, 0)
	// Two seconds later it is full again, and no fuller.
	for range 3 {
		mustTake(t, k, at(3*time.Second), "a", 0)
	}
	mustRefuse(t, k, at(3*time.Second), "a", 500*time.Millisecond, 0, 0)
}

// A refused request takes nothing: however many are refused, the next token
// comes when it would have anyway (what Retry-After promises).
func TestRefusalsCostNothing(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 0.5, Burst: 1})
	mustTake(t, k, t0, "a", 0)
	for range 100 {
		mustRefuse(t, k, at(time.Second), "a", time.Second, 0, 0)
	}
	mustTake(t, k, at(2*time.Second), "a", 0)
}

func TestKeysAreIsolated(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 1, Burst: 2})
	mustTake(t, k, t0, "a", 0)
	mustTake(t, k, t0, "a", 0)
	mustRefuse(t, k, t0, "a", time.Second, 0, 0)
	mustTake(t, k, t0, "b", 0)
	mustTake(t, k, t0, "b", 0)
}

// A write takes from the user's bucket and the write bucket, all or nothing;
// a read only from the user's.
func TestWritesTakeFromBothBuckets(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 10, Burst: 5}, Rule{RPS: 1, Burst: 2})
	read, write := []int{0}, []int{0, 1}
	mustTake(t, k, t0, "u", write...)
	mustTake(t, k, t0, "u", write...)
	mustRefuse(t, k, t0, "u", time.Second, 1, write...) // the write bucket refuses …
	// … and its refusal did not cost a token of the user's bucket: 3 reads left.
	for range 3 {
		mustTake(t, k, t0, "u", read...)
	}
	mustRefuse(t, k, t0, "u", 100*time.Millisecond, 0, read...)
	// When both refuse, the one whose token comes last is named.
	mustRefuse(t, k, t0, "u", time.Second, 1, write...)
	// 100 ms later reads go on; writes still wait.
	mustTake(t, k, at(100*time.Millisecond), "u", read...)
	mustRefuse(t, k, at(100*time.Millisecond), "u", 900*time.Millisecond, 1, write...)
}

func TestRulesThatAreOffLimitNothing(t *testing.T) {
	k := NewKeyed(10, Rule{}, Rule{RPS: 1, Burst: 1})
	for range 1000 {
		mustTake(t, k, t0, "u", 0)
	}
	mustTake(t, k, t0, "u", 0, 1)
	mustRefuse(t, k, t0, "u", time.Second, 1, 0, 1)
}

// Wait answers like Take without taking, and does not add unknown keys.
func TestWaitTakesNothing(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 1, Burst: 1})
	for range 5 {
		if wait, _ := k.Wait(t0, "a", 0); wait != 0 {
			t.Fatalf("wait %s on a full bucket", wait)
		}
	}
	if k.Len() != 0 {
		t.Fatalf("Wait added a key: %d held", k.Len())
	}
	mustTake(t, k, t0, "a", 0)
	for range 5 {
		if wait, rule := k.Wait(t0, "a", 0); (wait-time.Second).Abs() > time.Microsecond || rule != 0 {
			t.Fatalf("wait %s rule %d, want 1s 0", wait, rule)
		}
	}
	mustTake(t, k, at(time.Second), "a", 0)
}

// Charge takes a token where there is one and never refuses.
func TestChargeTakesWithoutRefusing(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 1, Burst: 2})
	for range 5 {
		k.Charge(t0, "a", 0)
	}
	if wait, _ := k.Wait(t0, "a", 0); (wait - time.Second).Abs() > time.Microsecond {
		t.Fatalf("after charges: wait %s, want 1s", wait)
	}
	mustTake(t, k, at(time.Second), "a", 0)
}

// A key unused until its buckets are full again is forgotten.
func TestIdleKeysAreForgotten(t *testing.T) {
	k := NewKeyed(100, Rule{RPS: 10, Burst: 10}, Rule{RPS: 1, Burst: 4}) // fills in 1 s and 4 s
	for i := range 50 {
		mustTake(t, k, t0, fmt.Sprint("old", i), 0, 1)
	}
	mustTake(t, k, at(3*time.Second), "recent", 0, 1)
	if k.Len() != 51 {
		t.Fatalf("%d keys held after 3 s, want 51 (the write buckets are not full yet)", k.Len())
	}
	mustTake(t, k, at(4*time.Second), "new", 0)
	if k.Len() != 2 {
		t.Fatalf("%d keys held after 4 s, want 2 (recent, new)", k.Len())
	}
}

// Beyond maxKeys the least recently used key starts afresh.
func TestAtMostMaxKeysAreHeld(t *testing.T) {
	slow := Rule{RPS: 0.001, Burst: 1} // never refills in this test
	k := NewKeyed(2, slow)
	mustTake(t, k, t0, "a", 0)
	mustTake(t, k, t0, "b", 0)
	mustRefuse(t, k, t0, "a", 1000*time.Second, 0, 0) // a used again: b is now the oldest
	mustTake(t, k, t0, "c", 0)                        // pushes b out
	if k.Len() != 2 {
		t.Fatalf("%d keys held, want 2", k.Len())
	}
	mustRefuse(t, k, t0, "a", 1000*time.Second, 0, 0) // a kept its empty bucket
	mustRefuse(t, k, t0, "c", 1000*time.Second, 0, 0)
	mustTake(t, k, t0, "b", 0) // b came back fresh (and pushed a out)
	mustTake(t, k, t0, "a", 0)
}

// Concurrent requests of one key get exactly Burst tokens.
func TestConcurrentTakesShareOneBucket(t *testing.T) {
	k := NewKeyed(10, Rule{RPS: 0.001, Burst: 50})
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 500 {
		wg.Go(func() {
			if wait, _ := k.Take(t0, "a", 0); wait == 0 {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 50 {
		t.Fatalf("%d let through, want 50", ok.Load())
	}
}

// What a held key costs (the figure in docs/operations.md): a user with its
// two buckets.
func TestMemoryPerKey(t *testing.T) {
	const n = 20000
	k := NewKeyed(n, Rule{RPS: 50, Burst: 300}, Rule{RPS: 20, Burst: 200})
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%08d-0000-7000-8000-000000000000", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, key := range keys {
		k.Take(t0, key, 0, 1)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes a key (%d keys: %.1f MiB)", per, n, per*n/(1<<20))
	if per > 1024 {
		t.Fatalf("%.0f bytes a key", per)
	}
	runtime.KeepAlive(k)
}
