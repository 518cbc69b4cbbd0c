package followup_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOnTimeStats: follow-ups closed around week boundaries in Shanghai are
// counted per team and week (or month) in that zone — closed, closed by
// their due time, done and cancelled, with the share — every period listed
// for every team, zeros included. Managers see their teams, reps their own
// follow-ups, analysts and admins everything; bad input is 422 with field
// errors.
func TestOnTimeStats(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) { onTimeStats(t, b.DSN(t)) })
	}
}

func onTimeStats(t *testing.T, dsn string) {
	s := newStack(t, dsn, stackOpts{})
	gdb := s.app.Deps().DB
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, sh) }
	ptr := func(t time.Time) *time.Time { return &t }
	n := 0
	closedAt := func(owner, team, state string, closed, due time.Time) {
		n++
		insert(t, gdb, row{id: fuID(1000 + n), kind: "callback", customer: "c", owner: owner, team: team, state: state, due: due, closedAt: ptr(closed)})
	}
	// Week 2026-W11 is Monday 9 March to Sunday 15 March in Shanghai.
	closedAt(repAna, "north", "done", at(9, 0), at(9, 0))                        // on time (at the due time), the week's first instant
	closedAt(repAna, "north", "done", at(10, 9), at(10, 8))                      // late
	closedAt("rep-cy", "north", "cancelled", at(11, 9), at(12, 9))               // cancelled before due: closed on time, not done
	closedAt(repAna, "north", "done", at(9, 0).Add(-time.Microsecond), at(9, 0)) // Sunday 23:59:59.999999: week 10
	closedAt(repBo, "south", "done", at(15, 23), at(16, 9))                      // Sunday night: still week 11, on time
	closedAt(repBo, "south", "done", at(16, 0), at(20, 0))                       // week 12
	closedAt(repBo, "south", "done", at(1, 12), at(2, 0))                        // before the range

	// Open: not counted.
	insert(t, gdb, row{id: fuID(2000), kind: "callback", customer: "c", owner: repAna, team: "north", due: at(10, 0)})

	get := func(user, query string) (int, map[string]any) {
		r := s.call("GET", "/v1/follow-ups/stats/on-time?"+query, user, nil)
		return r.status, r.json(t)
	}
	q := url.Values{"from": {"2026-03-04"}, "to": {"2026-03-18"}, "tz": {"Asia/Shanghai"}}.Encode()
	status, st := get(admin, q)
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, st)
	}
	var labels []string
	for _, p := range st["periods"].([]any) {
		labels = append(labels, p.(map[string]any)["label"].(string))
	}
	if strings.Join(labels, ",") != "2026-W10,2026-W11,2026-W12" || st["bucket"] != "week" || st["tz"] != "Asia/Shanghai" ||
		st["from"] != "2026-03-04T00:00:00+08:00" || st["to"] != "2026-03-18T00:00:00+08:00" {
		t.Fatalf("periods %v in %s", labels, mustJSON(st))
	}
	// team → the periods' "closed/on time/done/done on time/cancelled share".
	summary := func(st map[string]any) map[string]string {
		out := map[string]string{}
		for _, tm := range st["teams"].([]any) {
			tm := tm.(map[string]any)
			var ps []string
			for _, p := range tm["periods"].([]any) {
				ps = append(ps, counts(p.(map[string]any)))
			}
			out[tm["team"].(string)] = strings.Join(ps, " | ") + " = " + counts(tm["total"].(map[string]any))
		}
		out["*"] = counts(st["total"].(map[string]any))
		return out
	}
	want := map[string]string{
		"north": "1/1/1/1/0 1.00 | 3/2/2/1/1 0.67 | 0/0/0/0/0 - = 4/3/3/2/1 0.75",
		"south": "0/0/0/0/0 - | 1/1/1/1/0 1.00 | 1/1/1/1/0 1.00 = 2/2/2/2/0 1.00",
		"*":     "6/5/5/4/1 0.83",
	}
	if got := summary(st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("admin:\n got %v\nwant %v", got, want)
	}
	// The analyst sees the same; the manager of north only north; rep-ana
	// only her own; a team filter narrows within the scope.
	if _, a := get(analyst, q); fmt.Sprint(summary(a)) != fmt.Sprint(want) {
		t.Errorf("analyst %v", summary(a))
	}
	if _, m := get(mgrMia, q); fmt.Sprint(summary(m)) != fmt.Sprint(map[string]string{"north": want["north"], "*": "4/3/3/2/1 0.75"}) {
		t.Errorf("manager %v", summary(m))
	}
	if _, m := get(mgrMia, q+"&team=south"); len(m["teams"].([]any)) != 0 || counts(m["total"].(map[string]any)) != "0/0/0/0/0 -" {
		t.Errorf("manager asking for another team %s", mustJSON(m))
	}
	if _, r := get(repAna, q); fmt.Sprint(summary(r)) != fmt.Sprint(map[string]string{
		"north": "1/1/1/1/0 1.00 | 2/1/2/1/0 0.50 | 0/0/0/0/0 - = 3/2/3/2/0 0.67", "*": "3/2/3/2/0 0.67"}) {
		t.Errorf("rep %v", summary(r))
	}
	if _, a := get(admin, q+"&team=south"); fmt.Sprint(summary(a)) != fmt.Sprint(map[string]string{"south": want["south"], "*": "2/2/2/2/0 1.00"}) {
		t.Errorf("admin, south only %v", summary(a))
	}
	// The same closes in UTC weeks: Monday 00:00 in Shanghai is Sunday in
	// UTC, so the first close of week 11 falls in week 10.
	if _, u := get(admin, url.Values{"from": {"2026-03-04"}, "to": {"2026-03-18"}}.Encode()); summary(u)["north"] !=
		"2/2/2/2/0 1.00 | 2/1/1/0/1 0.50 | 0/0/0/0/0 - = 4/3/3/2/1 0.75" {
		t.Errorf("UTC weeks %v", summary(u))
	}
	// Months, from an instant.
	_, mo := get(admin, url.Values{"from": {"2026-02-20T00:00:00+08:00"}, "to": {"2026-04-01"}, "tz": {"Asia/Shanghai"}, "bucket": {"month"}}.Encode())
	if got := summary(mo); got["south"] != "0/0/0/0/0 - | 3/3/3/3/0 1.00 = 3/3/3/3/0 1.00" || got["north"] != "0/0/0/0/0 - | 4/3/3/2/1 0.75 = 4/3/3/2/1 0.75" {
		t.Errorf("months %v", got)
	}

	for _, c := range []struct {
		name, query string
		fields      []string
	}{
		{"nothing", "", []string{"from", "to"}},
		{"bad everything", "from=yesterday&to=2026-02-30&bucket=day&tz=Mars/Olympus", []string{"bucket", "tz", "from", "to"}},
		{"to before from", "from=2026-03-18&to=2026-03-04", []string{"to"}},
		{"more than three years", "from=2020-01-01&to=2026-01-01", []string{"to"}},
	} {
		status, body := get(mgrMia, c.query)
		if status != http.StatusUnprocessableEntity || body["code"] != "validation_failed" {
			t.Errorf("%s: %d %v", c.name, status, body)
			continue
		}
		var got []string
		for _, f := range body["details"].(map[string]any)["fields"].([]any) {
			got = append(got, f.(map[string]any)["field"].(string))
		}
		if strings.Join(got, ",") != strings.Join(c.fields, ",") {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
		}
	}
	if r := s.call("GET", "/v1/follow-ups/stats/on-time?"+q, "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.status)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// counts is "closed/closed_on_time/done/done_on_time/cancelled share".
func counts(m map[string]any) string {
	share := "-"
	if v, ok := m["on_time_share"].(float64); ok {
		share = fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%v/%v/%v/%v/%v %s", m["closed"], m["closed_on_time"], m["done"], m["done_on_time"], m["cancelled"], share)
}

// TestMyDay: a rep lists their own open follow-ups due before tonight,
// overdue ones first, a page at a time; escalated ones alone; a bad instant
// is a field error.
func TestMyDay(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			gdb := s.app.Deps().DB
			now := time.Now().UTC().Truncate(time.Second)
			tonight := now.Add(6 * time.Hour)
			for i, r := range []row{
				{owner: repAna, due: now.Add(-48 * time.Hour), state: "escalated"},
				{owner: repAna, due: now.Add(-time.Hour)},
				{owner: repAna, due: now.Add(2 * time.Hour)},
				{owner: repAna, due: tonight}, // due at the instant: tomorrow's
				{owner: repAna, due: now.Add(30 * time.Hour)},
				{owner: repAna, due: now.Add(-3 * time.Hour), state: "done", closedAt: &now},
				{owner: "rep-cy", due: now.Add(-2 * time.Hour)},
			} {
				r.id, r.kind, r.customer, r.team = fuID(3000+i), "callback", "c", "north"
				insert(t, gdb, r)
			}
			day := "/v1/follow-ups?state=open&limit=2&due_before=" + url.QueryEscape(tonight.In(time.FixedZone("", 8*3600)).Format(time.RFC3339))
			var ids []string
			next := day
			for pages := 0; next != ""; pages++ {
				r := s.call("GET", next, repAna, nil)
				if r.status != http.StatusOK || pages > 3 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				page := r.json(t)
				for _, it := range page["items"].([]any) {
					ids = append(ids, it.(map[string]any)["id"].(string))
				}
				next = ""
				if c, _ := page["next_cursor"].(string); c != "" {
					next = day + "&cursor=" + url.QueryEscape(c)
				}
			}
			if want := []string{fuID(3000), fuID(3001), fuID(3002)}; strings.Join(ids, ",") != strings.Join(want, ",") {
				t.Fatalf("rep-ana's day %v, want %v", ids, want)
			}
			// An unencoded + in the offset arrives as a space, and still reads.
			if r := s.call("GET", "/v1/follow-ups?due_before="+tonight.In(time.FixedZone("", 8*3600)).Format(time.RFC3339), repAna, nil); r.status != http.StatusOK ||
				len(r.json(t)["items"].([]any)) != 3 {
				t.Fatalf("unencoded offset: %d %s", r.status, r.body)
			}
			r := s.call("GET", "/v1/follow-ups?state=escalated", repAna, nil)
			if items := r.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != fuID(3000) {
				t.Fatalf("escalated %s", r.body)
			}
			r = s.call("GET", "/v1/follow-ups?due_before=tonight", repAna, nil)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"due_before"`) {
				t.Fatalf("bad due_before: %d %s", r.status, r.body)
			}
		})
	}
}
