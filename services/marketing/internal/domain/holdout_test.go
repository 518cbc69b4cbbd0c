package domain_test

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"
	"testing"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestInHoldoutIsDeterministic(t *testing.T) {
	// The same pair always lands in the same group.
	for i := range 1000 {
		id := "cust-" + strconv.Itoa(i)
		first := domain.InHoldout("cmp-1", id, 0.3)
		for range 3 {
			if domain.InHoldout("cmp-1", id, 0.3) != first {
				t.Fatalf("%s changed group", id)
			}
		}
	}
	// The rule as documented, for one pair computed independently here.
	sum := sha256.Sum256([]byte("cmp-1\x00cust-42"))
	u := float64(binary.BigEndian.Uint64(sum[:8])) / math.Pow(2, 64)
	if domain.InHoldout("cmp-1", "cust-42", u) || !domain.InHoldout("cmp-1", "cust-42", math.Nextafter(u, 1)) {
		t.Errorf("cust-42 at %v: the threshold is not where the rule puts it", u)
	}
	// The separator keeps ("ab", "c") and ("a", "bc") apart.
	differ := 0
	for i := range 200 {
		n := strconv.Itoa(i)
		if domain.InHoldout("cmp-1"+n, "x", 0.5) != domain.InHoldout("cmp-1", n+"x", 0.5) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("campaign and customer ids run together")
	}
}

func TestInHoldoutShare(t *testing.T) {
	const n = 100_000
	for _, share := range []float64{0, 0.1, 0.5} {
		held := 0
		for i := range n {
			if domain.InHoldout("cmp-7", "customer-"+strconv.Itoa(i), share) {
				held++
			}
		}
		if got := float64(held) / n; math.Abs(got-share) > 0.01 {
			t.Errorf("share %v: %v held out", share, got)
		}
		if share == 0 && held != 0 {
			t.Errorf("share 0 held %d customers", held)
		}
	}
	if domain.InHoldout("cmp-7", "c", -0.1) || domain.InHoldout("cmp-7", "c", math.NaN()) {
		t.Error("a negative or NaN share held a customer")
	}
}

func TestInHoldoutDiffersPerCampaign(t *testing.T) {
	// Each campaign holds out its own sample: of the customers campaign A
	// holds out at 10 %, campaign B holds out about 10 % too, not all.
	both, a := 0, 0
	for i := range 20_000 {
		id := "customer-" + strconv.Itoa(i)
		if domain.InHoldout("cmp-A", id, 0.1) {
			a++
			if domain.InHoldout("cmp-B", id, 0.1) {
				both++
			}
		}
	}
	if r := float64(both) / float64(a); r < 0.05 || r > 0.15 {
		t.Errorf("%d of campaign A's %d held out by B too", both, a)
	}
}
