package messages

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// language is one catalogue ready to write with, and the way its readers
// write dates: the order of day, month and year is grammar, not wording, so
// it lives in code beside the catalogue rather than in it.
type language struct {
	tag   string
	words map[string]*template.Template
	stamp func(time.Time) string // a date and time with the year: a message's due instant
	brief func(time.Time) string // a date and time without the year: a one-line summary
	day   func(time.Time) string // a date without the year: the digest's subject
	date  func(time.Time) string // a date with the year: the digest's heading
}

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// languages are parsed once: a catalogue entry that does not parse is a
// programming error every test run finds, not something to report per email.
var languages = map[string]*language{
	"en": {
		tag:   "en",
		words: parse("en"),
		stamp: func(t time.Time) string { return t.Format("Mon 2 Jan 2006, 15:04") },
		brief: func(t time.Time) string { return t.Format("Mon 2 Jan 15:04") },
		day:   func(t time.Time) string { return t.Format("Mon 2 Jan") },
		date:  func(t time.Time) string { return t.Format("Mon 2 Jan 2006") },
	},
	"zh-Hans": {
		tag:   "zh-Hans",
		words: parse("zh-Hans"),
		stamp: func(t time.Time) string {
			return fmt.Sprintf("%d年%d月%d日 %s %s", t.Year(), t.Month(), t.Day(), zhWeekdays[t.Weekday()], t.Format("15:04"))
		},
		brief: func(t time.Time) string {
			return fmt.Sprintf("%d月%d日 %s %s", t.Month(), t.Day(), zhWeekdays[t.Weekday()], t.Format("15:04"))
		},
		day: func(t time.Time) string {
			return fmt.Sprintf("%d月%d日 %s", t.Month(), t.Day(), zhWeekdays[t.Weekday()])
		},
		date: func(t time.Time) string {
			return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), zhWeekdays[t.Weekday()])
		},
	},
}

func parse(tag string) map[string]*template.Template {
	out := map[string]*template.Template{}
	for key, text := range catalog[tag] {
		out[key] = template.Must(template.New(tag + ":" + key).Option("missingkey=error").Parse(text))
	}
	return out
}

// languageOf is the catalogue for a person's language; a language Closeloop
// does not write (or none chosen yet) gets English rather than no message.
func languageOf(tag string) *language {
	if strings.EqualFold(tag, "zh-Hans") {
		return languages["zh-Hans"]
	}
	return languages["en"]
}

// zoneOf is where a recipient's times are shown and the name printed beside
// them. A missing Location falls back to loading the named zone, so a caller
// that only has the preference's name still gets correct times; an unknown
// or missing name shows UTC, and says so, rather than a zone it is not.
func zoneOf(loc *time.Location, name string) (*time.Location, string) {
	if loc == nil && name != "" {
		if l, err := time.LoadLocation(name); err == nil {
			return l, name
		}
		return time.UTC, "UTC"
	}
	if loc == nil {
		return time.UTC, "UTC"
	}
	if name == "" {
		name = loc.String()
	}
	return loc, name
}

// writer writes in one language and keeps the first failure, so a message
// is built in straight lines and checked once at the end.
type writer struct {
	l    *language
	loc  *time.Location
	zone string
	err  error
}

func (w *writer) say(key string, data any) string {
	t, ok := w.l.words[key]
	if !ok {
		if w.err == nil {
			w.err = fmt.Errorf("messages: %s has no entry %q", w.l.tag, key)
		}
		return ""
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil && w.err == nil {
		w.err = fmt.Errorf("messages: %s entry %q: %w", w.l.tag, key, err)
	}
	return b.String()
}

func (l *language) has(key string) bool {
	_, ok := l.words[key]
	return ok
}

type zoneVars struct{ Zone, Calendar string }

// when is an instant as the recipient reads it: in their zone, naming the
// zone and the business calendar that counted the deadline, because a due
// time in business hours means little without knowing whose hours.
func (w *writer) when(t time.Time, calendar string) string {
	return w.l.stamp(t.In(w.loc)) + " " + w.say("zone", zoneVars{w.zone, calendar})
}

// whenBrief is when without the year, for one-line summaries.
func (w *writer) whenBrief(t time.Time, calendar string) string {
	return w.l.brief(t.In(w.loc)) + " " + w.say("zone.short", zoneVars{w.zone, calendar})
}

// late says how long past due an item is at now ("" when it is not yet),
// in the console's units, so an email and the board agree.
func (w *writer) late(due, now time.Time) string {
	if due.IsZero() || now.IsZero() || !now.After(due) {
		return ""
	}
	d := now.Sub(due)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return w.say("duration.days_hours", map[string]int{"Days": days, "Hours": hours})
	case hours > 0:
		return w.say("duration.hours_minutes", map[string]int{"Hours": hours, "Minutes": mins})
	case mins > 0:
		return w.say("duration.minutes", map[string]int{"Minutes": mins})
	}
	return w.say("duration.under_minute", nil)
}

// kindName is a follow-up kind in the reader's words; a kind the catalogue
// does not know is shown as it is stored rather than hidden.
func (w *writer) kindName(kind string) string {
	if w.l.has("kind." + kind) {
		return w.say("kind."+kind, nil)
	}
	return kind
}

// titleOf is what an item is called: its own title, or its kind's name when
// nobody gave it one.
func (w *writer) titleOf(it Item) string {
	if strings.TrimSpace(it.Title) != "" {
		return it.Title
	}
	return w.kindName(it.Kind)
}

// ownerOf is who owns an item, by name when the name is known.
func (w *writer) ownerOf(it Item) string {
	switch {
	case it.OwnerName != "":
		return it.OwnerName
	case it.OwnerID != "":
		return it.OwnerID
	}
	return w.say("no_owner", nil)
}

// footer says why the recipient gets this and where to change it: every
// email Closeloop sends carries one.
func (w *writer) footer(reasonKey string, data any, settingsLink string) footer {
	return footer{
		Reason: w.say(reasonKey, data), Change: w.say("footer.change", nil), Colon: w.say("colon", nil),
		SettingsLink: settingsLink, SettingsLabel: w.say("link.settings", nil), NoLink: w.say("footer.nolink", nil),
	}
}
