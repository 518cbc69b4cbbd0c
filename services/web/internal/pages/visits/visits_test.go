package visits_test

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
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

// allDaysCalendar makes every day a working day for team north (in the
// test stack's time zone), so the test books the days it needs whatever
// weekday it runs on.
func allDaysCalendar(t *testing.T, s *webtest.Stack) {
	t.Helper()
	day := []map[string]string{{"start": "00:00", "end": "24:00"}}
	week := map[string]any{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		week[d] = day
	}
	if r := s.Call("PUT", "/v1/calendars/north-every-day", "analyst-ali", map[string]any{"time_zone": "Asia/Shanghai", "week": week,
		"teams": []string{"north"}, "reason": "console test: every day works"}); r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("calendar: %d %s", r.Status, r.Body)
	}
}

var visitLink = regexp.MustCompile(`href="/visits/([0-9a-f-]{36})"`)

// daySection is the week view's section of day (YYYY-MM-DD).
func daySection(t *testing.T, body, day string) string {
	t.Helper()
	i := strings.Index(body, `id="d-`+day+`"`)
	if i < 0 {
		t.Fatalf("the week has no section for %s:\n%s", day, body)
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// weekPart is the week view of a page (without the request form, whose
// customer choices name customers too).
func weekPart(body string) string {
	i, j := strings.Index(body, `<section id="week"`), strings.Index(body, `<section id="request"`)
	if i < 0 || j < i {
		return ""
	}
	return body[i:j]
}

// label is the page's short English name of a day ("Tue 8 Dec").
func label(d time.Time) string { return d.Format("Mon 2 Jan") }

// The week shows a booked visit on its day and marks today; requesting a
// visit answers at once whether it was booked, joined or offered another
// day — in plain words, in both languages; a refused request shows why next
// to the field; a rep of another team never sees the visit.
func TestVisitWeekAndRequests(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	allDaysCalendar(t, s)
	customer := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Qingdao Cranes Ltd"}))

	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(sh)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := today.AddDate(0, 0, 2)
	iso := day.Format("2006-01-02")

	ana := s.Client(t, "rep-ana")
	form := url.Values{"customer_id": {customer}, "day": {iso}, "department": {"sales"}, "purpose": {"present the crane offer"}, "start_time": {"14:30"}}

	t.Run("booked, shown on its day", func(t *testing.T) {
		p := ana.Post("/visits/request", form, "HX-Request", "true", "HX-Target", "request")
		if p.Status != http.StatusCreated || !strings.Contains(p.Body, "Booked for "+label(day)+" at 14:30.") {
			t.Fatalf("booking answered %d:\n%s", p.Status, p.Body)
		}
		if strings.Contains(p.Body, "<html") || p.Header.Get("HX-Trigger") != "visits-changed" {
			t.Fatalf("the htmx answer is not the request part, or does not refresh the week (HX-Trigger %q)", p.Header.Get("HX-Trigger"))
		}
		week := ana.Get("/visits?week=" + iso)
		if week.Status != http.StatusOK {
			t.Fatalf("week: %d\n%s", week.Status, week.Body)
		}
		sec := daySection(t, week.Body, iso)
		if !strings.Contains(sec, "Qingdao Cranes Ltd") || !strings.Contains(sec, "14:30") || !visitLink.MatchString(sec) {
			t.Fatalf("the visit is not on its day:\n%s", sec)
		}
		for d := range 7 {
			other := day.AddDate(0, 0, d-int((day.Weekday()+6)%7))
			if o := other.Format("2006-01-02"); o != iso && strings.Contains(daySection(t, week.Body, o), "Qingdao") {
				t.Fatalf("the visit also shows on %s", o)
			}
		}
		// This week marks today; the week is reachable by its links.
		this := ana.Get("/visits")
		if sec := daySection(t, this.Body, today.Format("2006-01-02")); !strings.Contains(this.Body, `class="day today"`) || !strings.Contains(sec, "today") {
			t.Fatalf("today is not marked:\n%s", this.Body)
		}
		monday := day.AddDate(0, 0, -int((day.Weekday()+6)%7))
		if !strings.Contains(week.Body, `href="/visits?week=`+monday.AddDate(0, 0, 7).Format("2006-01-02")+`"`) ||
			!strings.Contains(week.Body, `href="/visits?week=`+monday.AddDate(0, 0, -7).Format("2006-01-02")+`"`) {
			t.Fatalf("no links to the previous and next weeks:\n%s", week.Body)
		}
		// The visit's page names its booker and its timeline.
		id := visitLink.FindStringSubmatch(sec)[1]
		v := ana.Get("/visits/" + id)
		if v.Status != http.StatusOK || !strings.Contains(v.Body, "Visit to Qingdao Cranes Ltd on "+label(day)) ||
			!strings.Contains(v.Body, "present the crane offer") || !strings.Contains(v.Body, "Booked") {
			t.Fatalf("visit page %d:\n%s", v.Status, v.Body)
		}
		// A rep of another team sees nothing of it.
		bo := s.Client(t, "rep-bo")
		if w := bo.Get("/visits?week=" + iso); weekPart(w.Body) == "" || strings.Contains(w.Body, "Qingdao") || strings.Contains(w.Body, id) {
			t.Fatal("a south rep sees a north customer's visit")
		}
		if w := bo.Get("/visits/" + id); w.Status != http.StatusNotFound {
			t.Fatalf("a south rep opened the visit: %d", w.Status)
		}
	})

	mia := s.Client(t, "mgr-mia")
	asked := url.Values{"customer_id": {customer}, "day": {iso}, "department": {"service"}, "purpose": {"check the installation"}}
	offered := day.AddDate(0, 0, 1)

	t.Run("a taken day is offered another", func(t *testing.T) {
		p := mia.Post("/visits/request", asked, "HX-Request", "true", "HX-Target", "request")
		want := "That day is taken by sales (" + label(day) + "); offered " + label(offered) + " — book it?"
		if p.Status != http.StatusOK || !strings.Contains(p.Body, want) || !strings.Contains(p.Body, "Book "+label(offered)) {
			t.Fatalf("a request for a taken day answered %d, want %q:\n%s", p.Status, want, p.Body)
		}
		// Nothing was booked for the manager.
		if w := mia.Get("/visits?week=" + iso + "&person=mgr-mia"); weekPart(w.Body) == "" || strings.Contains(weekPart(w.Body), "Qingdao") {
			t.Fatal("an offer booked something")
		}
		// Book it: the offered day's form books that day.
		book := url.Values{"customer_id": {customer}, "day": {offered.Format("2006-01-02")}, "department": {"service"}, "purpose": {"check the installation"}}
		p = mia.Post("/visits/request", book)
		if p.Status != http.StatusCreated || !strings.Contains(p.Body, "Booked for "+label(offered)+" at 10:00.") {
			t.Fatalf("booking the offered day (no htmx) answered %d:\n%s", p.Status, p.Body)
		}
		if !strings.Contains(p.Body, "<html") || !strings.Contains(daySection(t, p.Body, offered.Format("2006-01-02")), "Qingdao") {
			t.Fatalf("without htmx the answer is not the week with the new visit:\n%s", p.Body)
		}
		// Joining instead: the manager joins the sales visit.
		join := url.Values{"customer_id": {customer}, "day": {iso}, "department": {"service"}, "purpose": {"check the installation"}, "join": {"1"}}
		p = mia.Post("/visits/request", join, "HX-Request", "true", "HX-Target", "request")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Joined the sales visit on "+label(day)+" at 14:30, booked by rep-ana.") {
			t.Fatalf("joining answered %d:\n%s", p.Status, p.Body)
		}
		// The department's calendar has the joined visit.
		if w := mia.Get("/visits?week=" + iso + "&department=service"); !strings.Contains(daySection(t, w.Body, iso), "Qingdao") {
			t.Fatalf("the service department's week lacks the visit it joined:\n%s", w.Body)
		}
	})

	t.Run("in Chinese", func(t *testing.T) {
		p := ana.Post("/visits/request", url.Values{"customer_id": {customer}, "day": {offered.Format("2006-01-02")}, "department": {"sales"}, "purpose": {"再谈"}},
			"HX-Request", "true", "HX-Target", "request", "Accept-Language", "zh-CN,zh;q=0.9")
		want := "已被服务部预约"
		if p.Status != http.StatusOK || !strings.Contains(p.Body, want) || strings.Contains(p.Body, "visits.") {
			t.Fatalf("the Chinese answer (%d) lacks %q or shows message ids:\n%s", p.Status, want, p.Body)
		}
		w := ana.Get("/visits?week="+iso, "Accept-Language", "zh-CN")
		if !strings.Contains(w.Body, "申请拜访") || !strings.Contains(w.Body, "上一周") || strings.Contains(w.Body, "visits.") {
			t.Fatalf("the Chinese week is not Chinese or shows message ids:\n%s", w.Body)
		}
	})

	t.Run("cancel from the visit's page", func(t *testing.T) {
		w := mia.Get("/visits?week=" + offered.Format("2006-01-02") + "&department=service")
		m := visitLink.FindStringSubmatch(daySection(t, w.Body, offered.Format("2006-01-02")))
		if m == nil {
			t.Fatalf("the service visit on %s is not in the week:\n%s", offered.Format("2006-01-02"), w.Body)
		}
		id := m[1]
		// Without a reason the service refuses; the page says so at the field.
		p := mia.Post("/visits/"+id+"/cancel", url.Values{"reason": {""}})
		if p.Status != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="c-reason"[^>]*aria-invalid="true"`).MatchString(p.Body) {
			t.Fatalf("a cancellation without reason answered %d:\n%s", p.Status, p.Body)
		}
		p = mia.Post("/visits/"+id+"/cancel", url.Values{"reason": {"customer closed that day"}})
		if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/visits/"+id+"?done=cancelled") ||
			!strings.Contains(p.Body, "The visit is cancelled") || !strings.Contains(p.Body, "customer closed that day") {
			t.Fatalf("cancelling ended at %s (%d):\n%s", p.URL, p.Status, p.Body)
		}
	})

	t.Run("refusals next to the field", func(t *testing.T) {
		past := url.Values{"customer_id": {customer}, "day": {today.AddDate(0, 0, -1).Format("2006-01-02")}, "department": {"sales"}, "purpose": {"late"}}
		p := ana.Post("/visits/request", past, "HX-Request", "true", "HX-Target", "request")
		if p.Status != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="r-day"[^>]*aria-invalid="true"`).MatchString(p.Body) ||
			!strings.Contains(p.Body, `id="r-day-err"`) || strings.Contains(p.Body, `{"code"`) {
			t.Fatalf("a day in the past answered %d:\n%s", p.Status, p.Body)
		}
		none := ana.Post("/visits/request", url.Values{"day": {iso}, "department": {"sales"}, "purpose": {"x"}}, "HX-Request", "true", "HX-Target", "request")
		if none.Status != http.StatusUnprocessableEntity || !strings.Contains(none.Body, "Choose the customer to visit.") {
			t.Fatalf("no customer answered %d:\n%s", none.Status, none.Body)
		}
		// A customer of another team is not found, and nothing is booked.
		south := s.Create("rep-bo", stacktest.Company(map[string]any{"name": "Guangzhou Pumps", "region": "south"}))
		nf := ana.Post("/visits/request", url.Values{"customer_id": {south}, "day": {iso}, "department": {"sales"}, "purpose": {"x"}}, "HX-Request", "true", "HX-Target", "request")
		if nf.Status != http.StatusNotFound || !strings.Contains(nf.Body, `class="problem"`) {
			t.Fatalf("another team's customer answered %d:\n%s", nf.Status, nf.Body)
		}
	})

	t.Run("a manager opens the page, an analyst is refused", func(t *testing.T) {
		if p := s.Client(t, "analyst-ali").Get("/visits"); p.Status != http.StatusForbidden || !strings.Contains(p.Body, "sales rep, manager, administrator") {
			t.Fatalf("an analyst got %d:\n%s", p.Status, p.Body)
		}
	})

	t.Run("in a browser", func(t *testing.T) { browse(t, s, customer, iso, offered.Format("2006-01-02")) })
}
