package calendar

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fieldsOf(ve *ValidationError) []string {
	out := make([]string, len(ve.Fields))
	for i, f := range ve.Fields {
		out[i] = f.Field + " " + f.Code
	}
	return out
}

func TestValidation(t *testing.T) {
	sh := load(t, "Asia/Shanghai")
	ny := load(t, "America/New_York")
	r := func(a, b Clock) Range { return Range{a, b} }
	std := []Range{r(At(9, 0), At(12, 0)), r(At(13, 30), At(18, 0))}
	valid := func() Spec {
		return Spec{
			Name: "test", TimeZone: "Asia/Shanghai", Location: sh,
			Week:        Weekdays(std...),
			Holidays:    []Holiday{{Name: "spring", Start: DateOf(2026, 2, 15), End: DateOf(2026, 2, 23)}},
			WorkingDays: []WorkingDay{{Date: DateOf(2026, 2, 14), HoursOf: Monday}},
		}
	}
	if _, err := New(valid()); err != nil {
		t.Fatalf("the base spec is refused: %v", err)
	}
	many := func(n int) []Range {
		out := make([]Range, n)
		for i := range out {
			out[i] = r(At(i, 0), At(i, 30))
		}
		return out
	}

	for _, tc := range []struct {
		name   string
		mutate func(*Spec)
		want   []string // "field code"
		msg    string   // part of the first message, when given
	}{
		{"no name", func(s *Spec) { s.Name = "  " }, []string{"name required"}, ""},
		{"long name", func(s *Spec) { s.Name = strings.Repeat("名", MaxNameLength+1) }, []string{"name too_long"}, "201 characters"},
		{"no time zone", func(s *Spec) { s.TimeZone = "" }, []string{"time_zone required"}, ""},
		{"Local zone", func(s *Spec) { s.TimeZone, s.Location = "Local", time.Local }, []string{"time_zone invalid"}, ""},
		{"no location", func(s *Spec) { s.Location = nil }, []string{"location required"}, ""},
		{"other location", func(s *Spec) { s.Location = ny }, []string{"location location_mismatch"}, `"America/New_York" but time_zone is "Asia/Shanghai"`},
		{"empty week", func(s *Spec) { s.Week = Week{}; s.WorkingDays = nil }, []string{"week no_working_hours"}, ""},
		{"end before start", func(s *Spec) { s.Week.Monday = []Range{std[0], r(At(18, 0), At(13, 30))} },
			[]string{"week.monday[1] end_before_start"}, "end 13:30 is not after start 18:00"},
		{"empty range", func(s *Spec) { s.Week.Monday = []Range{r(At(9, 0), At(9, 0))} },
			[]string{"week.monday[0] end_before_start"}, ""},
		{"times out of range", func(s *Spec) { s.Week.Tuesday = []Range{r(-1, At(24, 1))} },
			[]string{"week.tuesday[0].start out_of_range", "week.tuesday[0].end out_of_range"}, "start Clock(-1) is outside 00:00–23:59"},
		{"start at 24:00", func(s *Spec) { s.Week.Tuesday = []Range{r(At(24, 0), At(24, 0))} },
			[]string{"week.tuesday[0].start out_of_range"}, ""},
		{"overlap", func(s *Spec) { s.Week.Wednesday = []Range{r(At(9, 0), At(12, 0)), r(At(11, 0), At(13, 0))} },
			[]string{"week.wednesday[1] overlap"}, "starts at 11:00, before week.wednesday[0] ends at 12:00"},
		{"unsorted", func(s *Spec) { s.Week.Thursday = []Range{std[1], std[0]} },
			[]string{"week.thursday[1] overlap"}, ""},
		{"too many ranges", func(s *Spec) { s.Week.Friday = many(MaxRangesPerDay + 1) }, []string{"week.friday too_many"}, ""},
		{"touching ranges are fine", func(s *Spec) { s.Week.Friday = []Range{r(At(9, 0), At(12, 0)), r(At(12, 0), At(24, 0))} }, nil, ""},
		{"holiday without start", func(s *Spec) { s.Holidays[0].Start = Date{} }, []string{"holidays[0].start required"}, ""},
		{"holiday not a date", func(s *Spec) { s.Holidays[0].Start = DateOf(2026, 2, 30) }, []string{"holidays[0].start invalid"}, "2026-02-30 is not a calendar date"},
		{"holiday end before start", func(s *Spec) { s.Holidays[0].End = DateOf(2026, 2, 1) },
			[]string{"holidays[0].end end_before_start"}, "end 2026-02-01 is before start 2026-02-15"},
		{"holiday year", func(s *Spec) { s.Holidays = append(s.Holidays, Holiday{Start: DateOf(1899, 12, 31)}) },
			[]string{"holidays[1].start out_of_range"}, ""},
		{"holiday name", func(s *Spec) { s.Holidays[0].Name = strings.Repeat("x", MaxNameLength+1) }, []string{"holidays[0].name too_long"}, ""},
		{"too many holidays", func(s *Spec) { s.Holidays = make([]Holiday, MaxHolidays+1) }, []string{"holidays too_many"}, ""},
		{"closed over a year", func(s *Spec) {
			s.Holidays = append(s.Holidays, Holiday{Start: DateOf(2027, 1, 1), End: DateOf(2028, 1, 10)})
		}, []string{"holidays[1] too_long"}, "no working hours from 2027-01-01 to 2028-01-10 (375 days)"},
		{"closed over a year by holidays joined over a weekend", func(s *Spec) {
			s.Holidays = append(s.Holidays,
				Holiday{Start: DateOf(2027, 7, 5), End: DateOf(2028, 1, 7)}, // Monday to Friday
				Holiday{Start: DateOf(2027, 1, 4), End: DateOf(2027, 7, 2)}, // Monday to Friday
			)
		}, []string{"holidays[1] too_long"}, "from 2027-01-02 to 2028-01-09 (373 days)"},
		{"a working Saturday splits the closure", func(s *Spec) {
			s.Holidays = append(s.Holidays,
				Holiday{Start: DateOf(2027, 7, 5), End: DateOf(2028, 1, 7)},
				Holiday{Start: DateOf(2027, 1, 4), End: DateOf(2027, 7, 2)},
			)
			s.WorkingDays = append(s.WorkingDays, WorkingDay{Date: DateOf(2027, 7, 3), HoursOf: Monday})
		}, nil, ""},
		{"make-up day without date", func(s *Spec) { s.WorkingDays[0].Date = Date{} }, []string{"working_days[0].date required"}, ""},
		{"make-up day not a date", func(s *Spec) { s.WorkingDays[0].Date = DateOf(2026, 2, 29) }, []string{"working_days[0].date invalid"}, ""},
		{"make-up day twice", func(s *Spec) { s.WorkingDays = append(s.WorkingDays, s.WorkingDays[0]) },
			[]string{"working_days[1].date conflict"}, "2026-02-14 is also working_days[0]"},
		{"make-up day on a holiday", func(s *Spec) { s.WorkingDays[0].Date = DateOf(2026, 2, 16) },
			[]string{"working_days[0].date conflict"}, "2026-02-16 is also a holiday (holidays[0] spring)"},
		{"hours_of and ranges", func(s *Spec) { s.WorkingDays[0].Ranges = std }, []string{"working_days[0] conflict"}, ""},
		{"neither hours_of nor ranges", func(s *Spec) { s.WorkingDays[0].HoursOf = "" }, []string{"working_days[0].hours_of required"}, ""},
		{"unknown weekday", func(s *Spec) { s.WorkingDays[0].HoursOf = "funday" }, []string{"working_days[0].hours_of invalid"}, `"funday" is not a weekday`},
		{"weekday without hours", func(s *Spec) { s.WorkingDays[0].HoursOf = Saturday }, []string{"working_days[0].hours_of no_working_hours"}, ""},
		{"make-up ranges checked", func(s *Spec) {
			s.WorkingDays[0].HoursOf = ""
			s.WorkingDays[0].Ranges = []Range{r(At(10, 0), At(9, 0))}
		}, []string{"working_days[0].ranges[0] end_before_start"}, ""},
		{"too many make-up days", func(s *Spec) { s.WorkingDays = make([]WorkingDay, MaxWorkingDays+1) }, []string{"working_days too_many"}, ""},
		{"every problem at once, in spec order", func(s *Spec) {
			s.Name = ""
			s.Week.Monday = []Range{std[0], r(At(18, 0), At(13, 30))}
			s.Holidays[0].End = DateOf(2026, 2, 1)
			s.WorkingDays[0].HoursOf = "funday"
		}, []string{"name required", "week.monday[1] end_before_start", "holidays[0].end end_before_start", "working_days[0].hours_of invalid"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid()
			tc.mutate(&s)
			c, err := New(s)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if c != nil || err == nil {
				t.Fatalf("accepted")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T, want *ValidationError", err)
			}
			if got := fieldsOf(ve); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fields = %q, want %q\n%v", got, tc.want, err)
			}
			if tc.msg != "" && !strings.Contains(ve.Fields[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", ve.Fields[0].Message, tc.msg)
			}
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	s := Spec{Name: "x", TimeZone: "UTC", Location: time.UTC, Week: Week{Monday: []Range{{At(9, 0), At(12, 0)}, {At(18, 0), At(13, 30)}}}}
	_, err := New(s)
	if err == nil || err.Error() != "calendar: invalid spec: week.monday[1]: end 13:30 is not after start 18:00" {
		t.Fatalf("error = %v", err)
	}
}
