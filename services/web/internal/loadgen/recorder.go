package loadgen

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Class is what an answer means for the run.
type Class int

const (
	// OK is a 2xx answer.
	OK Class = iota
	// Business is a refusal the business rules give under load and that a
	// user of the console would see as such, not a fault: a 409 (a conflict:
	// the day was freed meanwhile, a concurrent change, a duplicate) or a 422
	// with a code the action lists as expected (a visit day that is a
	// holiday in the customer's calendar). Counted apart from errors.
	Business
	// Error is anything else: no answer, a timeout, 5xx, 4xx not expected.
	Error
)

func (c Class) String() string {
	switch c {
	case OK:
		return "ok"
	case Business:
		return "business"
	default:
		return "error"
	}
}

// Sample is one HTTP request of the run.
type Sample struct {
	// Name is the report row: the action, or the action and a part of it
	// ("list.leads", "policy.withdraw").
	Name string
	// Scheduled is when the open-loop schedule said the request was due (a
	// follow-up request inside one action, such as the withdraw after a
	// policy edit, is due when it is sent).
	Scheduled, Sent, Done time.Time
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Label says what the answer was: the problem's code
	// ("day_free", "service_unavailable"), an outcome ("booked",
	// "offered"), "timeout" or "transport".
	Label string
	Class Class
}

// Recorder collects samples from concurrent requests.
type Recorder struct {
	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	fromScheduled, fromSent []time.Duration
	byClass                 [3]int
	outcomes, errors        map[string]int
	first, last             time.Time
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{series: map[string]*series{}} }

// Add records s.
func (r *Recorder) Add(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	se := r.series[s.Name]
	if se == nil {
		se = &series{outcomes: map[string]int{}, errors: map[string]int{}, first: s.Scheduled}
		r.series[s.Name] = se
	}
	se.fromScheduled = append(se.fromScheduled, s.Done.Sub(s.Scheduled))
	se.fromSent = append(se.fromSent, s.Done.Sub(s.Sent))
	se.byClass[s.Class]++
	key := StatusLabel(s.Status, s.Label)
	if s.Class == Error {
		se.errors[key]++
	} else {
		se.outcomes[key]++
	}
	if s.Scheduled.Before(se.first) {
		se.first = s.Scheduled
	}
	if s.Done.After(se.last) {
		se.last = s.Done
	}
}

// StatusLabel is how an answer is shown: "409 day_free", "201 booked",
// "timeout".
func StatusLabel(status int, label string) string {
	switch {
	case status == 0 && label == "":
		return "no answer"
	case status == 0:
		return label
	case label == "":
		return strconv.Itoa(status)
	default:
		return strconv.Itoa(status) + " " + label
	}
}

// Percentiles are latencies in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Percentile is the nearest-rank p-quantile (0 < p ≤ 1) of d, which it sorts.
func Percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	if !slices.IsSorted(d) {
		slices.Sort(d)
	}
	k := int(math.Ceil(p*float64(len(d)))) - 1
	return d[min(max(k, 0), len(d)-1)]
}

// Summarize is the percentiles of d (sorted in place).
func Summarize(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	ms := func(x time.Duration) float64 { return math.Round(float64(x.Microseconds())/10) / 100 }
	return Percentiles{P50: ms(Percentile(d, 0.50)), P90: ms(Percentile(d, 0.90)), P99: ms(Percentile(d, 0.99)), Max: ms(Percentile(d, 1))}
}

// ActionReport is one row of the report.
type ActionReport struct {
	Name     string  `json:"name"`
	Count    int     `json:"count"`
	OK       int     `json:"ok"`
	Business int     `json:"business"`
	Errors   int     `json:"errors"`
	Rate     float64 `json:"rate_per_s"`
	// FromScheduled is the latency from the scheduled instant (what a user
	// arriving on schedule waits); FromSent from the actual send (the
	// service time).
	FromScheduled Percentiles `json:"latency_from_scheduled"`
	FromSent      Percentiles `json:"latency_from_send"`
	// Outcomes counts the answers that are not errors (ok and business) by
	// status and label; ErrorsBy the errors.
	Outcomes map[string]int `json:"outcomes,omitempty"`
	ErrorsBy map[string]int `json:"errors_by,omitempty"`
}

// Rows is one row per sample name (actions in report order, then their
// parts by name) and the total over all of them; rates are per second of
// window (the run's length: the schedule's duration or the time to the last
// answer, whichever is longer).
func (r *Recorder) Rows(window time.Duration) (rows []ActionReport, total ActionReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.series))
	for n := range r.series {
		names = append(names, n)
	}
	order := func(n string) int {
		for i, a := range Actions {
			if n == a || len(n) > len(a) && n[:len(a)+1] == a+"." {
				return i
			}
		}
		return len(Actions)
	}
	sort.Slice(names, func(i, j int) bool {
		if oi, oj := order(names[i]), order(names[j]); oi != oj {
			return oi < oj
		}
		return names[i] < names[j]
	})
	total = ActionReport{Name: "total", Outcomes: map[string]int{}, ErrorsBy: map[string]int{}}
	var allSched, allSent []time.Duration
	secs := window.Seconds()
	for _, n := range names {
		se := r.series[n]
		row := ActionReport{Name: n, OK: se.byClass[OK], Business: se.byClass[Business], Errors: se.byClass[Error],
			FromScheduled: Summarize(slices.Clone(se.fromScheduled)), FromSent: Summarize(slices.Clone(se.fromSent)),
			Outcomes: copyMap(se.outcomes), ErrorsBy: copyMap(se.errors)}
		row.Count = row.OK + row.Business + row.Errors
		if secs > 0 {
			row.Rate = math.Round(float64(row.Count)/secs*100) / 100
		}
		rows = append(rows, row)
		total.Count += row.Count
		total.OK += row.OK
		total.Business += row.Business
		total.Errors += row.Errors
		for k, v := range se.outcomes {
			total.Outcomes[n+" "+k] += v
		}
		for k, v := range se.errors {
			total.ErrorsBy[n+" "+k] += v
		}
		allSched = append(allSched, se.fromScheduled...)
		allSent = append(allSent, se.fromSent...)
	}
	total.FromScheduled, total.FromSent = Summarize(allSched), Summarize(allSent)
	if secs > 0 {
		total.Rate = math.Round(float64(total.Count)/secs*100) / 100
	}
	return rows, total
}

// LastDone is when the last recorded request was answered.
func (r *Recorder) LastDone() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t time.Time
	for _, se := range r.series {
		if se.last.After(t) {
			t = se.last
		}
	}
	return t
}

func copyMap(m map[string]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
