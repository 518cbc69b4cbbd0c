package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestNormalizeCountry(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "plain"}, {"plain", "plain"}, {" PLAIN ", "plain"}, {"CN", "CN"}, {"cn", "CN"},
	} {
		if got, err := domain.NormalizeCountry(c.in); err != nil || got != c.want {
			t.Errorf("%q: %q %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"FR", "china", "CN,US", "C N"} {
		_, err := domain.NormalizeCountry(bad)
		if err == nil || !strings.Contains(err.Error(), `DEFAULT_CALENDAR_COUNTRY="`+bad+`"`) || !strings.Contains(err.Error(), "known: CN (China mainland") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPresetSeeds(t *testing.T) {
	for _, c := range []struct {
		country, names, def string
	}{
		{domain.CountryPlain, "standard,cn-mainland-2026", domain.DefaultCalendar},
		{domain.CountryChina, "standard,cn-mainland-2026,cn-mainland", domain.ChinaCalendar},
	} {
		seeds := domain.PresetSeeds(c.country, t0)
		var names, defs []string
		for _, s := range seeds {
			names = append(names, s.Version.Name)
			if s.Default {
				defs = append(defs, s.Version.Name)
			}
			if s.Version.Version != 1 || s.Version.CreatedBy != "system" || s.Audit.Action != "seeded" || s.Audit.Subject != s.Version.Name ||
				s.Version.Reason != "shipped default (DEFAULT_CALENDAR_COUNTRY="+c.country+")" {
				t.Errorf("%s: %s: %+v", c.country, s.Version.Name, s)
			}
			if _, err := policy.CalendarFromJSON([]byte(s.Version.Spec)); err != nil {
				t.Errorf("%s: %s does not build: %v", c.country, s.Version.Name, err)
			}
		}
		if strings.Join(names, ",") != c.names || len(defs) != 1 || defs[0] != c.def {
			t.Errorf("%s: %v, default %v", c.country, names, defs)
		}
	}
}

// TestChinaMainland: the 2026 notice's holidays and make-up days and the
// 2027 statutory days; deadlines count across them.
func TestChinaMainland(t *testing.T) {
	var spec string
	for _, s := range domain.PresetSeeds(domain.CountryChina, t0) {
		if s.Version.Name == domain.ChinaCalendar {
			spec = s.Version.Spec
		}
	}
	cal, err := policy.CalendarFromJSON([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	sh := cal.Location()
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, sh) }
	for _, c := range []struct {
		name string
		from time.Time
		add  time.Duration
		want time.Time
	}{
		// docs/business-calendars.md: 40 business hours across the 2026 golden week.
		{"2026 National Day and its make-up Saturday", at(2026, time.September, 29, 10), 40 * time.Hour, at(2026, time.October, 12, 14)},
		{"2026 Spring Festival make-up Saturday", at(2026, time.February, 13, 17), 2 * time.Hour, at(2026, time.February, 14, 10)},
		// Thu 4 Feb 2027 17:00: one hour that day, then 除夕 (Fri 5) to 初三 (Mon 8) and the weekend between.
		{"2027 Spring Festival", at(2027, time.February, 4, 17), 2 * time.Hour, at(2027, time.February, 9, 10)},
		{"2027 National Day (Fri 1 – Sun 3)", at(2027, time.September, 30, 17), 2 * time.Hour, at(2027, time.October, 4, 10)},
		{"2027 Mid-Autumn (Wed 15 Sep)", at(2027, time.September, 14, 17), 2 * time.Hour, at(2027, time.September, 16, 10)},
	} {
		if due := cal.Add(c.from, c.add); !due.Equal(c.want) {
			t.Errorf("%s: %s + %s = %s, want %s", c.name, c.from, c.add, due, c.want)
		}
	}
	if cal.IsWorkingTime(at(2027, time.January, 1, 10)) || !cal.IsWorkingTime(at(2027, time.January, 4, 10)) {
		t.Error("2027 New Year's Day")
	}
}
