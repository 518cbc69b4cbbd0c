package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Calendar presets: what a fresh database is seeded with, by the country the
// admin picks (DEFAULT_CALENDAR_COUNTRY). Every preset installs the plain
// Monday–Friday calendar "standard" and the mainland-China 2026 calendar
// "cn-mainland-2026"; they differ in what else they install and which calendar
// is the default. The setting only acts on a database without calendars.
const (
	// CountryPlain is Monday–Friday 09:00–12:00 and 13:00–18:00 UTC, no holidays.
	CountryPlain = "plain"
	// CountryChina is mainland China: "cn-mainland" is the default.
	CountryChina = "CN"
)

// ChinaCalendar is the name of the mainland-China calendar the CN preset makes
// the default: the 2026 schedule and what is known of 2027.
const ChinaCalendar = "cn-mainland"

// Countries lists the accepted DEFAULT_CALENDAR_COUNTRY values with what they install.
func Countries() map[string]string {
	return map[string]string{
		CountryPlain: "Monday–Friday without holidays (UTC), the default when the setting is empty",
		CountryChina: "China mainland: public holidays and make-up working days, Asia/Shanghai",
	}
}

// NormalizeCountry checks a DEFAULT_CALENDAR_COUNTRY value: empty means plain;
// country codes are case-insensitive. An unknown value is an error naming the
// accepted ones.
func NormalizeCountry(country string) (string, error) {
	c := strings.TrimSpace(country)
	switch {
	case c == "" || strings.EqualFold(c, CountryPlain):
		return CountryPlain, nil
	case strings.EqualFold(c, CountryChina):
		return CountryChina, nil
	}
	var known []string
	for k, v := range Countries() {
		known = append(known, k+" ("+v+")")
	}
	slices.Sort(known)
	return "", fmt.Errorf("DEFAULT_CALENDAR_COUNTRY=%q: no calendar preset for this country; known: %s", country, strings.Join(known, "; "))
}

// DefaultCalendar is the calendar a fresh database's plain preset makes the
// default.
const DefaultCalendar = "standard"

// SeedCalendar is a calendar a fresh database is seeded with: its version 1,
// whether it is the default, and its audit entry.
type SeedCalendar struct {
	Version CalendarVersion
	Default bool
	Audit   AuditEntry
}

// PresetSeeds are the calendars a fresh database gets for country
// (NormalizeCountry's form), stored at now.
func PresetSeeds(country string, now time.Time) []SeedCalendar {
	standard := calendar.Spec{TimeZone: "UTC", Week: calendar.Weekdays(
		calendar.Range{Start: calendar.At(9, 0), End: calendar.At(12, 0)}, calendar.Range{Start: calendar.At(13, 0), End: calendar.At(18, 0)})}
	loc, _ := policy.Location("Asia/Shanghai")
	cn := calendar.China2026(loc)
	type preset struct {
		name string
		spec calendar.Spec
		def  bool
	}
	presets := []preset{
		{DefaultCalendar, standard, country == CountryPlain},
		{"cn-mainland-2026", calendar.Spec{TimeZone: cn.TimeZone, Week: cn.Week, Holidays: cn.Holidays, WorkingDays: cn.WorkingDays}, false},
	}
	if country == CountryChina {
		m := ChinaMainland(loc)
		presets = append(presets, preset{ChinaCalendar, calendar.Spec{TimeZone: m.TimeZone, Week: m.Week, Holidays: m.Holidays, WorkingDays: m.WorkingDays}, true})
	}
	reason := "shipped default (DEFAULT_CALENDAR_COUNTRY=" + country + ")"
	out := make([]SeedCalendar, len(presets))
	for i, p := range presets {
		p.spec.Name = p.name
		out[i] = SeedCalendar{
			Version: CalendarVersion{Name: p.name, Version: 1, Spec: SpecOf(p.spec).JSON(), CreatedBy: "system", CreatedAt: now, Reason: reason},
			Default: p.def,
			Audit:   AuditEntry{Kind: AuditCalendar, Subject: p.name, Version: 1, Action: "seeded", Actor: "system", Reason: reason},
		}
	}
	return out
}

// ChinaMainland is mainland China on office hours (Monday–Friday 09:00–12:00
// and 13:30–18:00, Asia/Shanghai) from 2026 on: the 2026 schedule of the State
// Council's notice of 4 November 2025 (calendar.China2026), then the 2027
// public holidays fixed by the national holiday regulations
// (全国年节及纪念日放假办法, as amended in 2024) on their 2027 dates.
//
// The State Council's notice for 2027 — which bridges these days with
// weekends, moves days off that fall on a weekend (补假) and names the make-up
// working days — was not available when this shipped, so 2027 has only the
// statutory days and no make-up days. Once it is published, add its dates with
// PUT /v1/calendars/cn-mainland (see docs/business-calendars.md).
func ChinaMainland(loc *time.Location) calendar.Spec {
	s := calendar.China2026(loc)
	day := func(m time.Month, d int) calendar.Date { return calendar.DateOf(2027, m, d) }
	const pending = " (statutory day; the 2027 arrangement was not yet published)"
	s.Name = "China mainland"
	s.Holidays = append(s.Holidays,
		calendar.Holiday{Name: "元旦 New Year's Day" + pending, Start: day(time.January, 1), End: day(time.January, 1)},             // Fri
		calendar.Holiday{Name: "春节 Spring Festival" + pending, Start: day(time.February, 5), End: day(time.February, 8)},          // 除夕 Fri – 初三 Mon
		calendar.Holiday{Name: "清明节 Qingming Festival" + pending, Start: day(time.April, 5), End: day(time.April, 5)},             // Mon
		calendar.Holiday{Name: "劳动节 Labour Day" + pending, Start: day(time.May, 1), End: day(time.May, 2)},                        // Sat–Sun
		calendar.Holiday{Name: "端午节 Dragon Boat Festival" + pending, Start: day(time.June, 9), End: day(time.June, 9)},            // Wed
		calendar.Holiday{Name: "中秋节 Mid-Autumn Festival" + pending, Start: day(time.September, 15), End: day(time.September, 15)}, // Wed
		calendar.Holiday{Name: "国庆节 National Day" + pending, Start: day(time.October, 1), End: day(time.October, 3)},              // Fri–Sun
	)
	return s
}
