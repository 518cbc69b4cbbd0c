package policies

import (
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/view"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

func ctx(t *testing.T, lang string) *view.Ctx {
	t.Helper()
	r, err := view.New("Asia/Shanghai", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddMessages("policies", locales, "locales"); err != nil {
		t.Fatal(err)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "/policies", nil)
	c.Request.Header.Set("Accept-Language", lang)
	return r.Ctx(c, nil)
}

func TestDurationsInAnalystsWords(t *testing.T) {
	en, zh := Words{ctx(t, "en")}, Words{ctx(t, "zh-CN")}
	for _, c := range []struct{ in, clock, en, zh string }{
		{"4h", "business", "4 business hours", "4 个工作小时"},
		{"1h", "business", "1 business hour", "1 个工作小时"},
		{"1h30m", "business", "1 business hour 30 min", "1 个工作小时 30 分钟"},
		{"45m", "business", "45 business minutes", "45 个工作分钟"},
		{"30d", "calendar", "30 calendar days", "30 个自然日"},
		{"1d4h30m", "calendar", "1 calendar day 4 h 30 min", "1 个自然日 4 小时 30 分钟"},
		{"8h", "calendar", "8 hours", "8 小时"},
		{"720h", "", "720 hours", "720 小时"},
		{"0m", "business", "0 minutes", "0 分钟"},
		{"PT4H", "business", "PT4H", "PT4H"}, // not a duration of ours: shown as written
	} {
		if got := en.Duration(c.in, c.clock); got != c.en {
			t.Errorf("en %s %s = %q, want %q", c.in, c.clock, got, c.en)
		}
		if got := zh.Duration(c.in, c.clock); got != c.zh {
			t.Errorf("zh %s %s = %q, want %q", c.in, c.clock, got, c.zh)
		}
	}
	if got := en.Offset("0m", "business"); got != "at once" {
		t.Errorf("a 0m step: %q", got)
	}
	lines := en.Value(value{Ladder: &ladder{Clock: "business", Steps: []step{{"0m", "remind"}, {"4h", "escalate_manager"}}}}, nil)
	if len(lines) != 2 || lines[0].Text != "at once: remind the owner" || lines[1].Text != "after 4 business hours: hand it to the owner's manager" {
		t.Errorf("ladder in words: %+v", lines)
	}
	lines = en.Value(value{Table: map[string]timer{"B": {"60d", "calendar", ""}, "A": {"30d", "calendar", ""}, "C": {"16h", "business", "standard"}}}, []string{"A", "B", "C"})
	if len(lines) != 3 || lines[0].Label != "A" || lines[2].Text != "16 business hours in calendar standard" {
		t.Errorf("table in words: %+v", lines)
	}
	if got := en.Field("ladder.steps[01].after"); got != "step 2 · when" {
		t.Errorf("diff field: %q", got)
	}
	if got := en.Field("value.table.A.duration"); got != "entry A · duration" {
		t.Errorf("table field: %q", got)
	}
}

func postContext(form url.Values) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("POST", "/x", strings.NewReader(form.Encode()))
	c.Request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c
}

// The ladder form drops rows left blank and numbers the rest as the
// service will, so its field errors land next to the right row.
func TestLadderFormKeepsTheServicesNumbering(t *testing.T) {
	p := policyView{Shape: "ladder", MaxSteps: 8, Actions: []string{"remind", "reassign"}}
	c := postContext(url.Values{"clock": {"business"}, "after": {"0m", "", " 4 H", ""}, "action": {"remind", "", "reassign", "remind"}, "reason": {" why "}})
	e := EditorFrom(c, p, nil)
	v := e.Value()
	if v.Ladder == nil || len(v.Ladder.Steps) != 3 || v.Ladder.Steps[1] != (step{"4h", "reassign"}) || v.Ladder.Steps[2] != (step{"", "remind"}) {
		t.Fatalf("ladder from the form: %+v", v.Ladder)
	}
	if e.Steps[2].AfterField != "value.ladder.steps[2].after" || len(e.Steps) != 5 || e.Reason != "why" {
		t.Fatalf("rows: %+v reason %q", e.Steps, e.Reason)
	}
}

func TestYearMarksHolidaysMakeUpDaysAndDaysOff(t *testing.T) {
	cal := calendarView{Week: week{Monday: []clockRange{{"09:00", "18:00"}}, Tuesday: []clockRange{{"09:00", "18:00"}},
		Wednesday: []clockRange{{"09:00", "18:00"}}, Thursday: []clockRange{{"09:00", "18:00"}}, Friday: []clockRange{{"09:00", "18:00"}}},
		Holidays:    []holiday{{Name: "National Day", Start: "2026-10-01", End: "2026-10-07"}, {Name: "New Year", Start: "2025-12-31", End: "2026-01-01"}},
		WorkingDays: []workingDay{{Date: "2026-10-10", Name: "make-up", HoursOf: "monday"}}}
	y := YearOf(cal, 2026)
	kind := map[string]string{}
	for _, m := range y.Months {
		for _, w := range m.Weeks {
			for _, d := range w {
				if d.N > 0 {
					kind[d.Date] = d.Kind
				}
			}
		}
	}
	for date, want := range map[string]string{"2026-10-01": "off", "2026-10-07": "off", "2026-10-08": "", "2026-10-10": "makeup",
		"2026-10-11": "weekend", "2026-01-01": "off", "2026-01-02": "", "2026-12-31": ""} {
		if kind[date] != want {
			t.Errorf("%s is %q, want %q", date, kind[date], want)
		}
	}
	if len(kind) != 365 || y.Holidays != 8 || y.Makeup != 1 {
		t.Errorf("%d days, %d holiday days, %d make-up days", len(kind), y.Holidays, y.Makeup)
	}
	// October 2026 starts on a Thursday: the first row has three empty cells.
	oct := y.Months[9].Weeks[0]
	if oct[2].N != 0 || oct[3].N != 1 {
		t.Errorf("October's first week: %+v", oct)
	}
}
