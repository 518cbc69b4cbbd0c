package myday_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// seed is what the test puts into the stack through the services' APIs.
type seed struct {
	s  *webtest.Stack
	t  *testing.T
	sh *time.Location
}

// calendar makes every day a working day for team north in Shanghai, so
// the test books today's visit whatever weekday it runs on.
func (d seed) calendar() {
	day := []map[string]string{{"start": "00:00", "end": "24:00"}}
	week := map[string]any{}
	for _, w := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		week[w] = day
	}
	if r := d.s.Call("PUT", "/v1/calendars/north-every-day", "analyst-ali", map[string]any{"time_zone": "Asia/Shanghai", "week": week,
		"teams": []string{"north"}, "reason": "console test: every day works"}); r.Status != http.StatusOK && r.Status != http.StatusCreated {
		d.t.Fatalf("calendar: %d %s", r.Status, r.Body)
	}
}

// followUp opens a call-back follow-up for user, due at due.
func (d seed) followUp(user, customer, title string, due time.Time) string {
	d.t.Helper()
	r := d.s.Call("POST", "/v1/follow-ups", user, map[string]any{"kind": "callback", "customer_id": customer, "title": title,
		"due_at": due.Format(time.RFC3339Nano)})
	if r.Status != http.StatusCreated && r.Status != http.StatusAccepted {
		d.t.Fatalf("open %q: %d %s", title, r.Status, r.Body)
	}
	return r.JSON(d.t)["id"].(string)
}

// state is the follow-up's state as the follow-up service has it.
func (d seed) state(user, id string) string {
	r := d.s.Call("GET", "/v1/follow-ups/"+id, user, nil)
	if r.Status != http.StatusOK {
		return ""
	}
	st, _ := r.JSON(d.t)["state"].(string)
	return st
}

// visit books a visit as user; it fails the test unless booked.
func (d seed) visit(user, customer, day, start, purpose string) {
	d.t.Helper()
	r := d.s.Call("POST", "/v1/customers/"+customer+"/visits", user, map[string]any{"day": day, "department": "sales", "purpose": purpose,
		"start_time": start, "duration_minutes": 15})
	if r.Status != http.StatusCreated {
		d.t.Fatalf("visit %s %s: %d %s", day, start, r.Status, r.Body)
	}
}

// sales calls the sales service as user.
func (d seed) sales(method, path, user string, body any) (int, map[string]any) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.s.SalesBase+path, rd)
	req.Header.Set("Authorization", "Bearer "+d.s.Tokens[user])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// My day shows a rep's follow-ups due today and overdue (deadlines in
// Shanghai time, and the calendar they count in), today's and tomorrow's
// visits and new leads — never another rep's; one click logs the call that
// answers a follow-up and closes it; a refusal reads in its row; a lead's
// first contact is one click too; a manager is refused with the reason.
func TestMyDay(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	d := seed{s: s, t: t, sh: sh}
	d.calendar()

	harbin := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Harbin Boilers"}))
	dalian := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Dalian Ports"}))
	changsha := s.Create("rep-cy", stacktest.Company(map[string]any{"name": "Changsha Mills"}))

	now := time.Now().In(sh)
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, sh)
	overdueAt := now.Add(3 * time.Second)
	overdue := d.followUp("rep-ana", harbin, "Call back about the boiler quote", overdueAt)
	later := ""
	laterAt := now.Add(time.Hour)
	if laterAt.After(midnight.Add(-2 * time.Minute)) {
		laterAt = midnight.Add(-2 * time.Minute)
	}
	if laterAt.After(now.Add(time.Minute)) { // not in the last minutes of the day
		later = d.followUp("rep-ana", dalian, "Send the revised berth plan", laterAt)
	}
	d.followUp("rep-ana", harbin, "Quarterly check-in", now.Add(72*time.Hour))
	cys := d.followUp("rep-cy", changsha, "Cy's own call back", now.Add(3*time.Second))

	today, tomorrow := now.Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")
	todays := false
	if start := now.Add(10 * time.Minute).Truncate(time.Minute); start.Before(midnight.Add(-16 * time.Minute)) {
		d.visit("rep-ana", harbin, today, start.Format("15:04"), "inspect the new boiler")
		todays = true
	}
	d.visit("rep-ana", dalian, tomorrow, "09:00", "walk the quay")
	d.visit("rep-cy", changsha, tomorrow, "09:00", "cy's mill tour")

	status, lead := d.sales("POST", "/v1/leads", "rep-ana", map[string]any{"source": "web", "customer_id": harbin, "interest": "a second boiler line"})
	if status != http.StatusCreated || lead["owner_id"] != "rep-ana" {
		t.Fatalf("lead: %d %v", status, lead)
	}
	leadID := lead["id"].(string)
	status, lead2 := d.sales("POST", "/v1/leads", "rep-ana", map[string]any{"source": "phone", "customer_id": dalian, "interest": "crane rental"})
	if status != http.StatusCreated || lead2["owner_id"] != "rep-ana" {
		t.Fatalf("second lead: %d %v", status, lead2)
	}
	lead2ID := lead2["id"].(string)

	time.Sleep(time.Until(overdueAt.Add(500 * time.Millisecond)))
	ana := s.Client(t, "rep-ana")

	t.Run("the rep's day", func(t *testing.T) {
		p := ana.Get("/my-day")
		if p.Status != http.StatusOK {
			t.Fatalf("my day: %d\n%s", p.Status, p.Body)
		}
		for _, want := range []string{"Call back about the boiler quote", "Harbin Boilers", overdueAt.In(sh).Format("2006-01-02 15:04"), "late by",
			`“north-every-day”`, "Asia/Shanghai", "walk the quay", "Dalian Ports", "a second boiler line", "/my-day/follow-ups/" + overdue + "/log",
			"/my-day/leads/" + leadID + "/contact"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("my day lacks %q", want)
			}
		}
		if later != "" && (!strings.Contains(p.Body, "Send the revised berth plan") || !strings.Contains(p.Body, laterAt.In(sh).Format("2006-01-02 15:04"))) {
			t.Error("a follow-up due later today is missing, or its deadline is not in Shanghai time")
		}
		for _, never := range []string{"Quarterly check-in", "Cy's own call back", cys, "Changsha", "cy's mill tour"} {
			if strings.Contains(p.Body, never) {
				t.Errorf("my day shows %q (due later, or another rep's)", never)
			}
		}
		visits := p.Body[strings.Index(p.Body, `id="visits-h"`):strings.Index(p.Body, `id="leads-h"`)]
		split := strings.Index(visits, "Tomorrow, ")
		if split < 0 || !strings.Contains(visits[split:], "walk the quay") {
			t.Errorf("tomorrow's visit is not under tomorrow:\n%s", visits)
		}
		if todays && !strings.Contains(visits[:split], "inspect the new boiler") {
			t.Errorf("today's visit is not under today:\n%s", visits)
		}
		if t.Failed() {
			t.Log(p.Body)
		}
	})

	t.Run("one click logs the call and closes the follow-up", func(t *testing.T) {
		p := ana.Post("/my-day/follow-ups/"+overdue+"/log", url.Values{"channel": {"call"}, "note": {"they accept the quote"}},
			"HX-Request", "true", "HX-Target", "fu-"+overdue)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `<tr id="fu-`+overdue+`"`) ||
			!strings.Contains(p.Body, "Call logged with Harbin Boilers; “Call back about the boiler quote” is closed.") {
			t.Fatalf("one click answered %d:\n%s", p.Status, p.Body)
		}
		stacktest.Eventually(t, "the follow-up to be done", 20*time.Second, func() bool { return d.state("rep-ana", overdue) == "done" })
		if p := ana.Get("/my-day"); strings.Contains(p.Body, "Call back about the boiler quote") {
			t.Fatal("the closed follow-up is still on the list")
		}
		// The call is on the customer's history.
		h := s.Call("GET", "/v1/customers/"+harbin+"/history", "rep-ana", nil)
		if !strings.Contains(string(h.Body), "they accept the quote") {
			t.Fatalf("the call is not on the customer's history: %s", h.Body)
		}
	})

	t.Run("a refusal reads in the row", func(t *testing.T) {
		p := ana.Post("/my-day/follow-ups/"+cys+"/log", url.Values{"channel": {"call"}}, "HX-Request", "true", "HX-Target", "fu-"+cys)
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, `<tr id="fu-`+cys+`"`) || !strings.Contains(p.Body, `class="problem"`) ||
			strings.Contains(p.Body, `"code"`) {
			t.Fatalf("another rep's follow-up answered %d:\n%s", p.Status, p.Body)
		}
		if st := d.state("rep-cy", cys); st == "done" {
			t.Fatal("another rep's follow-up was closed")
		}
	})

	t.Run("one click logs a lead's first contact", func(t *testing.T) {
		p := ana.Post("/my-day/leads/"+leadID+"/contact", url.Values{"channel": {"call"}}, "HX-Request", "true", "HX-Target", "lead-"+leadID)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "the lead is contacted") || p.Header.Get("HX-Trigger") != "followups-changed" {
			t.Fatalf("lead contact answered %d:\n%s", p.Status, p.Body)
		}
		if st, l := d.sales("GET", "/v1/leads/"+leadID, "rep-ana", nil); st != http.StatusOK || l["state"] != "contacted" {
			t.Fatalf("the lead is %v after the contact (%d)", l["state"], st)
		}
		if p := ana.Get("/my-day"); strings.Contains(p.Body, "/my-day/leads/"+leadID+"/contact") {
			t.Fatal("the contacted lead is still among the new ones")
		}
	})

	t.Run("one click on a first-contact follow-up contacts its lead", func(t *testing.T) {
		r := s.Call("GET", "/v1/follow-ups?kind=first_contact&customer_id="+dalian, "rep-ana", nil)
		items, _ := r.JSON(t)["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("the second lead's first-contact follow-up: %s", r.Body)
		}
		fu := items[0].(map[string]any)["id"].(string)
		p := ana.Post("/my-day/follow-ups/"+fu+"/log", url.Values{"channel": {"visit"}, "note": {"met at the port"}}, "HX-Request", "true", "HX-Target", "fu-"+fu)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Visit logged with Dalian Ports") || p.Header.Get("HX-Trigger") != "leads-changed" {
			t.Fatalf("one click on a first contact answered %d (HX-Trigger %q):\n%s", p.Status, p.Header.Get("HX-Trigger"), p.Body)
		}
		if st, l := d.sales("GET", "/v1/leads/"+lead2ID, "rep-ana", nil); st != http.StatusOK || l["state"] != "contacted" {
			t.Fatalf("the lead is %v after the follow-up's one click (%d)", l["state"], st)
		}
		stacktest.Eventually(t, "the first contact to be done", 20*time.Second, func() bool { return d.state("rep-ana", fu) == "done" })
	})

	if later != "" {
		t.Run("without script the page comes back with a notice", func(t *testing.T) {
			p := ana.Post("/my-day/follow-ups/"+later+"/log", url.Values{"channel": {"call"}})
			if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/my-day?done=followup") || !strings.Contains(p.Body, "Logged; the follow-up is closed.") {
				t.Fatalf("a plain post ended at %s (%d):\n%s", p.URL, p.Status, p.Body)
			}
			stacktest.Eventually(t, "the follow-up to be done", 20*time.Second, func() bool { return d.state("rep-ana", later) == "done" })
		})
	}

	t.Run("in Chinese", func(t *testing.T) {
		p := ana.Get("/my-day", "Accept-Language", "zh-CN,zh;q=0.9")
		if !strings.Contains(p.Body, "今天到期和已逾期的跟进") || strings.Contains(p.Body, "myday.") {
			t.Fatalf("the Chinese page is not Chinese or shows message ids:\n%s", p.Body)
		}
	})

	t.Run("in a browser", func(t *testing.T) { browse(t, d, dalian) })

	t.Run("a manager is refused with the reason", func(t *testing.T) {
		p := s.Client(t, "mgr-mia").Get("/my-day")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "This page is not for your role") ||
			!strings.Contains(p.Body, "It is for: sales rep") || !strings.Contains(p.Body, "Mia") {
			t.Fatalf("a manager got %d:\n%s", p.Status, p.Body)
		}
	})
}
