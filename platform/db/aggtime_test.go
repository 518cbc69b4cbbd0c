package db

import (
	"testing"
	"time"
)

func TestAggTimeScans(t *testing.T) {
	want := time.Date(2026, 3, 2, 9, 30, 0, 123000000, time.UTC)
	for _, v := range []any{want, want.In(time.FixedZone("x", 3600)), "2026-03-02 09:30:00.123+00:00", []byte("2026-03-02T09:30:00.123Z"),
		"2026-03-02 09:30:00.123"} {
		var d AggTime
		if err := d.Scan(v); err != nil || !d.T.Equal(want) || d.Ptr() == nil {
			t.Errorf("%v: %v %v", v, d.T, err)
		}
	}
	var d AggTime
	if err := d.Scan(nil); err != nil || d.Ptr() != nil {
		t.Error("NULL is no time")
	}
	if err := d.Scan(42); err == nil {
		t.Error("a number is not a time")
	}
	if err := d.Scan("yesterday"); err == nil {
		t.Error("not a time")
	}
}
