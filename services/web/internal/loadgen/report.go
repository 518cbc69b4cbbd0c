package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a run's result, printed as text or JSON.
type Report struct {
	Tag         string  `json:"tag"`
	Mix         string  `json:"mix"`
	TargetRate  float64 `json:"target_rate_per_s"`
	DurationS   float64 `json:"duration_s"`
	Concurrency int     `json:"concurrency"`
	// Scheduled requests of the open-loop plan (actions; a policy edit is
	// two HTTP requests, see Actions), Sent of them, NotSent because the
	// concurrency cap stayed reached (or the run was interrupted).
	Scheduled int `json:"scheduled"`
	Sent      int `json:"sent"`
	NotSent   int `json:"not_sent"`
	// ElapsedS is from the first scheduled instant to the last answer;
	// AchievedRate is sent actions per second of the schedule's duration.
	ElapsedS     float64 `json:"elapsed_s"`
	AchievedRate float64 `json:"achieved_rate_per_s"`
	// SendLag is how late requests were handed to the network after their
	// scheduled instant (scheduler delay and waits for a concurrency slot).
	SendLag Percentiles    `json:"send_lag"`
	Actions []ActionReport `json:"actions"`
	Total   ActionReport   `json:"total"`
	// ErrorRate is (errors + not sent) / (requests recorded + not sent).
	ErrorRate    float64 `json:"error_rate"`
	MaxErrorRate float64 `json:"max_error_rate"`
	Pass         bool    `json:"pass"`
	// Interrupted: the run was stopped before the end of its schedule.
	Interrupted bool     `json:"interrupted,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// NewReport builds the report of a run from the scheduler's dispatch and
// the recorded samples; notSent counts the unsent requests by action.
func NewReport(c Config, d Dispatch, rec *Recorder, notSent map[string]int) Report {
	end := rec.LastDone()
	if end.Before(d.End) {
		end = d.End
	}
	window := max(c.Duration, end.Sub(d.Start))
	rows, total := rec.Rows(window)
	r := Report{Tag: c.Tag, Mix: c.Mix.String(), TargetRate: c.Rate, DurationS: c.Duration.Seconds(), Concurrency: c.Concurrency,
		Scheduled: d.Scheduled, Sent: d.Sent, NotSent: d.NotSent, ElapsedS: round2(end.Sub(d.Start).Seconds()),
		AchievedRate: round2(float64(d.Sent) / c.Duration.Seconds()),
		SendLag:      Summarize(slices.Clone(d.SendLag)), MaxErrorRate: c.MaxErrorRate}
	r.Interrupted = d.Interrupted
	if d.Interrupted {
		// Stopped by hand: what was not sent yet is no fault of the deployment.
		r.Notes = append(r.Notes, fmt.Sprintf("interrupted: %d of %d scheduled requests were not sent; the figures cover the %d sent",
			d.NotSent, d.Scheduled, d.Sent))
		notSent = nil
	}
	for i := range rows {
		if n := notSent[rows[i].Name]; n > 0 {
			rows[i].Errors += n
			rows[i].Count += n
			if rows[i].ErrorsBy == nil {
				rows[i].ErrorsBy = map[string]int{}
			}
			rows[i].ErrorsBy["not sent"] += n
			delete(notSent, rows[i].Name)
		}
	}
	for name, n := range notSent {
		rows = append(rows, ActionReport{Name: name, Count: n, Errors: n, ErrorsBy: map[string]int{"not sent": n}})
	}
	if d.NotSent > 0 && !d.Interrupted {
		total.Count += d.NotSent
		total.Errors += d.NotSent
		total.ErrorsBy["not sent"] += d.NotSent
		r.Notes = append(r.Notes, fmt.Sprintf("%d requests were not sent: %d were in flight (-concurrency) until %s after the end; "+
			"the deployment is slower than the rate needs, or raise -concurrency", d.NotSent, c.Concurrency, c.Timeout))
	}
	r.Actions, r.Total = rows, total
	if total.Count > 0 {
		r.ErrorRate = float64(total.Errors) / float64(total.Count)
	}
	r.Pass = r.ErrorRate <= c.MaxErrorRate
	if r.SendLag.P99 > 100 {
		r.Notes = append(r.Notes, fmt.Sprintf("requests left up to %.0f ms after their scheduled instant (p99): the latencies from the "+
			"scheduled instant include that wait; the service times do not", r.SendLag.P99))
	}
	return r
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// WriteJSON prints r as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteText prints r for people: the run, one table of latencies from the
// scheduled instant and one from the send, business outcomes, errors and
// the verdict.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s: mix %s, target %g/s for %gs, concurrency %d\n", r.Tag, r.Mix, r.TargetRate, r.DurationS, r.Concurrency)
	fmt.Fprintf(&b, "sent %d of %d scheduled actions (%.2f/s), %d not sent; last answer %.2fs after the start; send lag p50 %s p99 %s max %s\n\n",
		r.Sent, r.Scheduled, r.AchievedRate, r.NotSent, r.ElapsedS, ms(r.SendLag.P50), ms(r.SendLag.P99), ms(r.SendLag.Max))
	table := func(title string, lat func(ActionReport) Percentiles) {
		b.WriteString(title + "\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "action\tcount\tok\tbusiness\terrors\trate/s\tp50\tp90\tp99\tmax\t")
		for _, a := range append(slices.Clone(r.Actions), r.Total) {
			p := lat(a)
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.2f\t%s\t%s\t%s\t%s\t\n", a.Name, a.Count, a.OK, a.Business, a.Errors, a.Rate,
				ms(p.P50), ms(p.P90), ms(p.P99), ms(p.Max))
		}
		_ = tw.Flush()
		b.WriteString("\n")
	}
	table("latency from the scheduled instant (open loop: what a user arriving on schedule waits, queueing included)",
		func(a ActionReport) Percentiles { return a.FromScheduled })
	table("latency from the send (service time; hides queueing, shown for comparison)",
		func(a ActionReport) Percentiles { return a.FromSent })
	list := func(title string, pick func(ActionReport) map[string]int) {
		var lines []string
		for _, a := range r.Actions {
			for k, v := range pick(a) {
				lines = append(lines, fmt.Sprintf("  %-18s %-28s %d", a.Name, k, v))
			}
		}
		if len(lines) == 0 {
			return
		}
		sort.Strings(lines)
		b.WriteString(title + "\n" + strings.Join(lines, "\n") + "\n\n")
	}
	list("answers (ok and business outcomes)", func(a ActionReport) map[string]int { return a.Outcomes })
	list("errors", func(a ActionReport) map[string]int { return a.ErrorsBy })
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "error rate %.2f%% (%d of %d requests; business outcomes are not errors), limit %.2f%%: %s\n",
		100*r.ErrorRate, r.Total.Errors, r.Total.Count, 100*r.MaxErrorRate, verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

// ms formats milliseconds compactly.
func ms(v float64) string {
	d := time.Duration(v * float64(time.Millisecond))
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
