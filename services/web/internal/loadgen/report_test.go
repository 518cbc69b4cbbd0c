package loadgen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.9, 90 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("p%g = %s, want %s", c.p*100, got, c.want)
		}
	}
	if Percentile(nil, 0.5) != 0 {
		t.Error("empty")
	}
	one := []time.Duration{7 * time.Millisecond}
	if s := Summarize(one); s.P50 != 7 || s.P99 != 7 || s.Max != 7 {
		t.Errorf("one sample: %+v", s)
	}
	if s := Summarize([]time.Duration{1500 * time.Microsecond, 2 * time.Second}); s.P50 != 1.5 || s.Max != 2000 {
		t.Errorf("ms rounding: %+v", s)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   Class
	}{
		{201, "", OK}, {200, "offered", OK}, {202, "", OK},
		{409, "day_free", Business}, {409, "idempotency_key_reused", Business},
		{422, "non_working_day", Business}, {422, "validation_failed", Error},
		{503, "update_pending", Error}, {500, "", Error}, {404, "customer_not_found", Error}, {0, "timeout", Error},
	} {
		if got := Classify(c.status, c.code, VisitBusinessCodes); got != c.want {
			t.Errorf("Classify(%d, %s) = %s, want %s", c.status, c.code, got, c.want)
		}
	}
}

func TestNthVisitDay(t *testing.T) {
	fri := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	sat := fri.AddDate(0, 0, 1)
	for _, c := range []struct {
		first time.Time
		k     int
		want  string
	}{{fri, 0, "2026-12-04"}, {fri, 1, "2026-12-07"}, {fri, 5, "2026-12-11"}, {sat, 0, "2026-12-07"}, {sat, 4, "2026-12-11"}, {sat, 5, "2026-12-14"}} {
		if got := NthVisitDay(c.first, c.k).Format(time.DateOnly); got != c.want {
			t.Errorf("NthVisitDay(%s, %d) = %s, want %s", c.first.Format(time.DateOnly), c.k, got, c.want)
		}
	}
}

func sample(name string, sched time.Time, queued, service time.Duration, status int, label string, class Class) Sample {
	return Sample{Name: name, Scheduled: sched, Sent: sched.Add(queued), Done: sched.Add(queued + service), Status: status, Label: label, Class: class}
}

func TestRecorderAndReport(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	rec := NewRecorder()
	for i := 0; i < 100; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		// Visits: 10 ms of service, the last ten queued 200 ms first.
		queued := time.Duration(0)
		if i >= 90 {
			queued = 200 * time.Millisecond
		}
		switch {
		case i%10 == 3:
			rec.Add(sample(ActVisit, at, queued, 10*time.Millisecond, 409, "day_free", Business))
		default:
			rec.Add(sample(ActVisit, at, queued, 10*time.Millisecond, 201, "booked", OK))
		}
	}
	rec.Add(sample(ActList+".leads", t0, 0, 5*time.Millisecond, 200, "", OK))
	rec.Add(sample(ActList+".customers", t0, 0, 5*time.Millisecond, 503, "service_unavailable", Error))
	rec.Add(sample(ActLead, t0, 0, 30*time.Second, 0, "timeout", Error))
	rec.Add(sample(ActPolicy+".withdraw", t0, 0, time.Millisecond, 200, "", OK))
	rec.Add(sample(ActPolicy, t0, 0, 2*time.Millisecond, 201, "", OK))

	c := Config{Tag: "lg-test", Mix: Mix{ActVisit: 1}, Rate: 10, Duration: 10 * time.Second, Concurrency: 8, MaxErrorRate: 0.01, Timeout: time.Second}
	d := Dispatch{Start: t0, Scheduled: 104, Sent: 103, NotSent: 1, End: t0.Add(31 * time.Second)}
	r := NewReport(c, d, rec, map[string]int{ActContact: 1})
	var names []string
	for _, a := range r.Actions {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, " "); got != "lead visit policy policy.withdraw list.customers list.leads contact" {
		t.Errorf("rows in order %q", got)
	}
	v := r.Actions[1]
	if v.Count != 100 || v.OK != 90 || v.Business != 10 || v.Errors != 0 {
		t.Errorf("visit row %+v", v)
	}
	if v.Outcomes["201 booked"] != 90 || v.Outcomes["409 day_free"] != 10 {
		t.Errorf("visit outcomes %v", v.Outcomes)
	}
	if v.FromSent.P99 != 10 || v.FromScheduled.P50 != 10 || v.FromScheduled.P99 != 210 || v.FromScheduled.Max != 210 {
		t.Errorf("visit latencies: from scheduled %+v, from send %+v", v.FromScheduled, v.FromSent)
	}
	if r.Total.Count != 106 || r.Total.Errors != 3 || r.Total.Business != 10 {
		t.Errorf("total %+v", r.Total)
	}
	if r.Total.ErrorsBy["lead timeout"] != 1 || r.Total.ErrorsBy["list.customers 503 service_unavailable"] != 1 || r.Total.ErrorsBy["not sent"] != 1 {
		t.Errorf("errors by %v", r.Total.ErrorsBy)
	}
	if want := 3.0 / 106; r.ErrorRate != want || r.Pass {
		t.Errorf("error rate %v pass %v, want %v and fail at 1%%", r.ErrorRate, r.Pass, want)
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{"run lg-test", "latency from the scheduled instant", "latency from the send", "409 day_free", "timeout",
		"not sent", "FAIL", "210.0ms", "30.00s"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Total.Count != 106 || back.Actions[1].FromScheduled.P99 != 210 {
		t.Errorf("JSON round trip: %v %+v", err, back.Total)
	}

	// Interrupted by hand: the unsent requests are a note, not errors.
	d.Interrupted = true
	if r := NewReport(c, d, rec, map[string]int{ActContact: 1}); r.Total.Errors != 2 || r.Total.Count != 105 ||
		len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "interrupted") {
		t.Errorf("interrupted: total %+v notes %v", r.Total, r.Notes)
	}
	d.Interrupted = false

	c.MaxErrorRate = 0.05
	if r := NewReport(c, d, rec, nil); !r.Pass {
		t.Errorf("2 errors of 105 under 5%% should pass: %v", r.ErrorRate)
	}
}

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("# dev tokens\nrep=R1\nmanager = M1\nadmin=A1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LOADGEN_RATE": "25", "LOADGEN_REP_TOKEN": "R-env"}
	var stderr bytes.Buffer
	c, err := ParseFlags([]string{"-base-url", "http://10.0.0.5/", "-tokens-file", tokens, "-duration", "2m", "-mix", "visit=1,list=1",
		"-customer-ids", "a, b", "-followup-url", "https://fu.example"}, func(k string) string { return env[k] }, &stderr)
	if err != nil {
		t.Fatal(err, stderr.String())
	}
	if c.URLs.Customer != "http://10.0.0.5:8081" || c.URLs.Sales != "http://10.0.0.5:8082" || c.URLs.FollowUp != "https://fu.example" {
		t.Errorf("urls %+v", c.URLs)
	}
	if c.Tokens != (Tokens{Rep: "R-env", Manager: "M1", Analyst: "A1"}) {
		t.Errorf("tokens: the environment's rep token wins over the file, the file fills the rest: %+v", c.Tokens)
	}
	if c.Rate != 25 || c.Duration != 2*time.Minute || c.Mix.String() != "visit=1,list=1" || len(c.CustomerIDs) != 2 || c.CustomerIDs[1] != "b" {
		t.Errorf("config %+v", c)
	}
	if !strings.HasPrefix(c.Tag, "lg-") || c.Concurrency != 64 || c.MaxErrorRate != 0.01 || c.Customers != 20 {
		t.Errorf("defaults %+v", c)
	}

	// -help lists the flags with their defaults, never a token.
	stderr.Reset()
	if _, err := ParseFlags([]string{"-h"}, func(k string) string { return env[k] }, &stderr); err == nil ||
		!strings.Contains(stderr.String(), "-rep-token") || strings.Contains(stderr.String(), "R-env") {
		t.Errorf("-help: %v\n%s", err, stderr.String())
	}

	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"-base-url", "http://h", "-rep-token", "r"}, "-manager-token"},
		{[]string{"-base-url", "http://h", "-rep-token", "r", "-mix", "policy=1"}, "-analyst-token"},
		{[]string{"-base-url", "http://h", "-mix", "lead=1"}, "rep token"},
		{[]string{"-rep-token", "r", "-mix", "lead=1"}, "-customer-url"},
		{[]string{"-base-url", "http://h", "-rep-token", "r", "-mix", "visit=1", "-customers", "0"}, "need customers"},
		{[]string{"-base-url", "http://h", "-rep-token", "r", "-mix", "lead=1", "-rate", "0"}, "-rate"},
		{[]string{"-base-url", "http://h", "-rep-token", "r", "-mix", "nope=1"}, "unknown action"},
	} {
		_, err := ParseFlags(bad.args, func(string) string { return "" }, &stderr)
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("ParseFlags(%q) = %v, want an error about %q", bad.args, err, bad.says)
		}
		if err != nil && strings.Contains(err.Error(), "r\"") {
			t.Errorf("an error shows a token: %v", err)
		}
	}
}

func TestCheckVisitDays(t *testing.T) {
	c := Config{Mix: Mix{ActVisit: 1, ActList: 1}}
	p := Plan{Rate: 10, Duration: time.Hour} // 36,000 requests, 18,000 visits
	if err := checkVisitDays(c, p, 20); err == nil || !strings.Contains(err.Error(), "at least 38") {
		t.Errorf("18,000 visits on 20 customers: %v", err)
	}
	if err := checkVisitDays(c, p, 38); err != nil {
		t.Errorf("on 38 customers (474 days each): %v", err)
	}
	if err := checkVisitDays(Config{Mix: Mix{ActList: 1}}, p, 0); err != nil {
		t.Errorf("no visits: %v", err)
	}
}
