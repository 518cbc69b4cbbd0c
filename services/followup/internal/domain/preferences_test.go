package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

func TestPreferencesCheck(t *testing.T) {
	ok := DefaultPreferences("rep-ana", false, "Asia/Shanghai")
	if err := ok.Check(); err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
	hour := func(h int) *int { return &h }
	for _, c := range []struct {
		name   string
		change func(*Preferences)
		fields []string
	}{
		{"unknown language", func(p *Preferences) { p.Language = "fr" }, []string{"language"}},
		{"no time zone", func(p *Preferences) { p.TimeZone = "" }, []string{"time_zone"}},
		{"unknown time zone", func(p *Preferences) { p.TimeZone = "Mars/Olympus" }, []string{"time_zone"}},
		{"Local is the server's zone, not the person's", func(p *Preferences) { p.TimeZone = "Local" }, []string{"time_zone"}},
		{"not an address", func(p *Preferences) { p.Email = "ana at example" }, []string{"email"}},
		{"an address with a name", func(p *Preferences) { p.Email = "Ana <ana@example.com>" }, []string{"email"}},
		{"unknown event kind", func(p *Preferences) { p.EmailKinds = []string{"reminder", "gossip"} }, []string{"email_kinds"}},
		{"a kind twice", func(p *Preferences) { p.EmailKinds = []string{"reminder", "reminder"} }, []string{"email_kinds"}},
		{"quiet hours not times", func(p *Preferences) { p.Quiet = &QuietHours{From: "9pm", To: "25:00"} }, []string{"quiet_hours.from", "quiet_hours.to"}},
		{"quiet hours of no length", func(p *Preferences) { p.Quiet = &QuietHours{From: "21:00", To: "21:00"} }, []string{"quiet_hours.to"}},
		{"digest hour 24", func(p *Preferences) { p.DigestHour = hour(24) }, []string{"digest_hour"}},
		{"several at once", func(p *Preferences) { p.Language, p.DigestHour = "", hour(-1) }, []string{"language", "digest_hour"}},
	} {
		p := ok
		c.change(&p)
		err := p.Check()
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			t.Errorf("%s: %v, want a validation error", c.name, err)
			continue
		}
		for _, f := range c.fields {
			if !strings.Contains(err.Error()+fieldsOf(ae), f) {
				t.Errorf("%s: %v does not name %s", c.name, err, f)
			}
		}
	}
	p := ok
	p.Email, p.Quiet, p.DigestHour, p.Language = "ana@example.com", &QuietHours{From: "21:00", To: "08:00"}, hour(0), "zh-Hans"
	if err := p.Check(); err != nil {
		t.Fatalf("valid preferences refused: %v", err)
	}
}

func fieldsOf(e *apperr.Error) string {
	var b strings.Builder
	for _, f := range e.Fields {
		b.WriteString(f.Field + " ")
	}
	return b.String()
}

func TestHoldUntilQuietHours(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, sh) }
	night := Preferences{TimeZone: "Asia/Shanghai", Quiet: &QuietHours{From: "21:00", To: "08:00"}}
	lunch := Preferences{TimeZone: "Asia/Shanghai", Quiet: &QuietHours{From: "12:00", To: "13:30"}}
	for _, c := range []struct {
		name   string
		p      Preferences
		at     time.Time
		urgent bool
		want   time.Time
	}{
		{"evening: held to the next morning", night, at(22, 15), false, at(8, 0).AddDate(0, 0, 1)},
		{"early morning: held to 08:00 the same day", night, at(6, 0), false, at(8, 0)},
		{"at the start: held", night, at(21, 0), false, at(8, 0).AddDate(0, 0, 1)},
		{"at the end: sent", night, at(8, 0), false, at(8, 0)},
		{"day time: sent", night, at(15, 0), false, at(15, 0)},
		{"urgent: sent at night", night, at(23, 0), true, at(23, 0)},
		{"a window within the day", lunch, at(12, 45), false, at(13, 30)},
		{"outside it", lunch, at(11, 59), false, at(11, 59)},
		{"no quiet hours", Preferences{TimeZone: "Asia/Shanghai"}, at(3, 0), false, at(3, 0)},
	} {
		if got := c.p.HoldUntil(c.at.UTC(), c.urgent); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, got.In(sh), c.want)
		}
	}
}

func TestEventKindsAndEmail(t *testing.T) {
	for action, kind := range map[string]string{"remind": EventReminder, "escalate_manager": EventEscalation, "reassign": EventHandover,
		"return_to_pool": EventHandover, ActionReassigned: EventHandover, "offer": EventWinback, "opened": ""} {
		if got := EventKindOf(action); got != kind {
			t.Errorf("%s: %q, want %q", action, got, kind)
		}
	}
	p := DefaultPreferences("mgr-mia", true, "UTC")
	if p.DigestHour == nil || *p.DigestHour != 8 {
		t.Error("a manager has no morning digest by default")
	}
	if p.WantsEmail(EventReminder) {
		t.Error("email without an address")
	}
	p.Email, p.EmailKinds = "mia@example.com", []string{EventEscalation}
	if !p.WantsEmail(EventEscalation) || p.WantsEmail(EventReminder) {
		t.Error("email kinds not honoured")
	}
}
