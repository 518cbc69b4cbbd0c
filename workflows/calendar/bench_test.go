package calendar

import (
	"testing"
	"time"
)

var sinkTime time.Time
var sinkDur time.Duration

// 40 business hours from Tuesday 2026-09-29 10:00 in Shanghai cross the
// National Day golden week (October 1–7) and the make-up Saturday October 10,
// landing on Monday October 12 14:00.
func BenchmarkAdd40hAcrossHoliday(b *testing.B) {
	c, sh := china(b)
	from := time.Date(2026, 9, 29, 10, 0, 0, 0, sh)
	want := time.Date(2026, 10, 12, 14, 0, 0, 0, sh)
	if got := c.Add(from, 40*time.Hour); !got.Equal(want) {
		b.Fatalf("Add = %s, want %s", got, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkTime = c.Add(from, 40*time.Hour)
	}
}

// The same across the Spring Festival, starting from UTC.
func BenchmarkAdd40hAcrossSpringFestival(b *testing.B) {
	c, _ := china(b)
	from := time.Date(2026, 2, 12, 2, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		sinkTime = c.Add(from, 40*time.Hour)
	}
}

func BenchmarkSubtract40hAcrossHoliday(b *testing.B) {
	c, sh := china(b)
	from := time.Date(2026, 10, 12, 14, 0, 0, 0, sh)
	b.ReportAllocs()
	for b.Loop() {
		sinkTime = c.Add(from, -40*time.Hour)
	}
}

func BenchmarkBetweenAcrossHoliday(b *testing.B) {
	c, sh := china(b)
	from, to := time.Date(2026, 9, 29, 10, 0, 0, 0, sh), time.Date(2026, 10, 12, 14, 0, 0, 0, sh)
	b.ReportAllocs()
	for b.Loop() {
		sinkDur = c.Between(from, to)
	}
}

// A year of business time (1,860 hours) in New York, across both clock changes.
func BenchmarkAddOneYearNewYork(b *testing.B) {
	c := nyCalendar(b, Range{At(1, 0), At(3, 0)})
	from := time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		sinkTime = c.Add(from, 2000*time.Hour)
	}
}

func BenchmarkIsWorkingTime(b *testing.B) {
	c, sh := china(b)
	t := time.Date(2026, 10, 10, 10, 0, 0, 0, sh)
	b.ReportAllocs()
	for b.Loop() {
		if !c.IsWorkingTime(t) {
			b.Fatal("not working")
		}
	}
}

func BenchmarkNewChina2026(b *testing.B) {
	spec := China2026(load(b, "Asia/Shanghai"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(spec); err != nil {
			b.Fatal(err)
		}
	}
}
