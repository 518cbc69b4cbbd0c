package loadgen

import (
	"strings"
	"testing"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix(DefaultMix)
	if err != nil {
		t.Fatal(err)
	}
	want := Mix{ActLead: 2, ActContact: 3, ActVisit: 2, ActPolicy: 0.1, ActList: 3}
	if len(m) != len(want) {
		t.Fatalf("ParseMix(%q) = %v, want %v", DefaultMix, m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if got := m.String(); got != DefaultMix {
		t.Errorf("String() = %q, want %q (report order)", got, DefaultMix)
	}
	// Spaces, a zero weight (left out) and a trailing comma.
	m, err = ParseMix(" list = 1 , lead=0, visit=0.5,")
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != "visit=0.5,list=1" {
		t.Errorf("got %q", m.String())
	}
	for _, bad := range []struct{ in, says string }{
		{"lead=2,bogus=1", "unknown action"},
		{"lead", "not action=weight"},
		{"lead=x", "must be a number"},
		{"lead=-1", "must be a number"},
		{"lead=NaN", "must be a number"},
		{"lead=Inf", "must be a number"},
		{"lead=1,lead=2", "twice"},
		{"lead=0,list=0", "no action has a positive weight"},
		{"", "no action has a positive weight"},
	} {
		_, err := ParseMix(bad.in)
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("ParseMix(%q) = %v, want an error saying %q", bad.in, err, bad.says)
		}
	}
}

func TestPickerProportions(t *testing.T) {
	m, _ := ParseMix(DefaultMix) // total weight 10.1
	p := NewPicker(m)
	const n = 10100
	got := map[string]int{}
	for i := 0; i < n; i++ {
		got[p.Next()]++
	}
	for a, w := range m {
		want := int(w / 10.1 * n)
		if d := got[a] - want; d < -1 || d > 1 {
			t.Errorf("%s picked %d times of %d, want %d±1", a, got[a], n, want)
		}
	}
	// Spread evenly: in any window of 101 picks, policy (0.1 of 10.1)
	// appears at most twice and list (3 of 10.1) 29 to 31 times.
	p = NewPicker(m)
	seq := make([]string, 2000)
	for i := range seq {
		seq[i] = p.Next()
	}
	for start := 0; start+101 <= len(seq); start += 37 {
		c := map[string]int{}
		for _, a := range seq[start : start+101] {
			c[a]++
		}
		if c[ActPolicy] > 2 || c[ActList] < 29 || c[ActList] > 31 {
			t.Fatalf("window at %d not even: %v", start, c)
		}
	}
}

func TestPickerSingleAction(t *testing.T) {
	p := NewPicker(Mix{ActVisit: 5})
	for i := 0; i < 10; i++ {
		if a := p.Next(); a != ActVisit {
			t.Fatalf("got %s", a)
		}
	}
}
