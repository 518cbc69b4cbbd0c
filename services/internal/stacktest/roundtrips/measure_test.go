package roundtrips_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"

	"github.com/closeloop/closeloop/platform/testenv"
)

// quiet is how long the action's traces must stay without a new or running
// span (other than the RunWorkflow span of a workflow now waiting) for its
// effects to count as settled.
const quiet = 500 * time.Millisecond

// counts is what one action cost.
type counts struct {
	starts, updates, signals, wfTasks, activities, localActs, timers, children, events int
	executions, temporalCalls, sql, txs, http                                          int
}

// measured is one action's accounting.
type measured struct {
	name            string
	answer, settled time.Duration
	per             int    // what the counts are divided by (1: the action itself)
	perWhat         string // "follow-up reached", …
	c               counts
	sqlBy, txBy     map[string]int // by service
	httpBy          map[string]int // "caller→callee POST /v1/…"
	activityBy      map[string]int
	localBy         map[string]int // local activities by type
	workflowBy      map[string]int // workflow type → executions touched
	detached        []string       // roots of other traces counted (work done off the request's trace)
	retries         int
	trace           []span // the action's own trace
}

// measure runs one action: do sends its request(s) with ctx (a root span of
// the harness, whose trace every service continues) and returns the
// condition under which its effects are in place (nil: none beyond the
// answer), polled with a context of its own whose trace is not counted.
// It returns once the condition holds and the action's traces have been
// quiet for `quiet`, and counts what happened between the request and then:
// spans of the action's trace, plus traces that started meanwhile off it
// and did work (a write, a call to another service or to Temporal: an
// outbox loop acting on the action's rows), and the events of every
// workflow execution those spans name, from its history, inside that window.
func (s *stack) measure(name string, do func(ctx context.Context) func(poll context.Context) bool) *measured {
	t := s.t
	t.Helper()
	s.rec.reset()
	t0 := time.Now()
	ctx, root := s.harness.Start(context.Background(), name)
	poll, pollSpan := s.harness.Start(context.Background(), "poll")
	pollSpan.End()
	cond := do(ctx)
	root.End()
	answer := time.Since(t0)
	rootTrace, pollTrace := root.SpanContext().TraceID(), pollSpan.SpanContext().TraceID()

	deadline := time.Now().Add(90 * time.Second)
	condOK := cond == nil
	var rel []span
	var detached []string
	for {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not settled after 90 s (condition met: %v); open spans: %v", name, condOK, openSpans(rel))
		}
		time.Sleep(100 * time.Millisecond)
		if !condOK {
			if condOK = cond(poll); !condOK {
				continue
			}
		}
		rel, detached = relevant(s.rec.snapshot(), rootTrace, pollTrace, t0)
		last := t0
		for _, sp := range rel {
			last = later(last, sp.start)
			last = later(last, sp.end)
		}
		if len(openSpans(rel)) == 0 && time.Since(last) >= quiet {
			break
		}
	}
	tEnd := time.Now()
	m := &measured{name: name, answer: answer, per: 1, sqlBy: map[string]int{}, txBy: map[string]int{}, httpBy: map[string]int{},
		activityBy: map[string]int{}, localBy: map[string]int{}, workflowBy: map[string]int{}, detached: detached}
	for _, sp := range rel {
		if sp.traceID == rootTrace {
			m.trace = append(m.trace, sp)
		}
		last := later(sp.start, sp.end)
		if d := last.Sub(t0); d > m.settled {
			m.settled = d
		}
	}
	s.countSpans(m, rel)
	s.countHistories(m, rel, t0, tEnd)
	return m
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// openSpans names the spans still running, except workflows' RunWorkflow
// spans (a workflow waiting on a timer keeps its span open).
func openSpans(spans []span) []string {
	var out []string
	for _, sp := range spans {
		if sp.open() && sp.temporalOp() != "RunWorkflow" {
			out = append(out, sp.service+" "+sp.name)
		}
	}
	return out
}

// relevant is the spans of the action's trace and of every trace that began
// after t0, off the action's trace and not the polls', and did work; and the
// names of those other traces' roots.
func relevant(all []span, root, poll trace.TraceID, t0 time.Time) ([]span, []string) {
	byTrace := map[trace.TraceID][]span{}
	for _, sp := range all {
		byTrace[sp.traceID] = append(byTrace[sp.traceID], sp)
	}
	out := slices.Clone(byTrace[root])
	var detached []string
	for id, spans := range byTrace {
		if id == root || id == poll {
			continue
		}
		first, worked := spans[0], false
		for _, sp := range spans {
			if sp.start.Before(first.start) {
				first = sp
			}
			op := sp.temporalOp()
			worked = worked || clientCalls[op] || op == "RunActivity" || op == "HandleSignal" || op == "HandleUpdate" || sp.isHTTPClient() ||
				(sp.isSQL() && sp.dbOp != "SELECT" && sp.hasRowsWritten && sp.rowsAffected > 0)
		}
		if worked && !first.start.Before(t0) {
			out = append(out, spans...)
			// A first span with a parent continues a trace recorded
			// before the action (a workflow runs activities in the trace
			// of the request that started it); without one, something
			// began work of its own (an outbox loop, a schedule).
			how := "new trace"
			if first.parent.IsValid() {
				how = "an earlier request's trace"
			}
			detached = append(detached, fmt.Sprintf("%s %s (%s)", first.service, first.name, how))
		}
	}
	slices.Sort(detached)
	return out, detached
}

// countSpans counts statements and transactions by service, calls between
// services (caller: the service of the client span's parent; callee: the
// service of the server span it caused) and calls to Temporal's API.
func (s *stack) countSpans(m *measured, spans []span) {
	byID := map[trace.SpanID]span{}
	server := map[trace.SpanID]span{} // a client span's server span
	for _, sp := range spans {
		byID[sp.id] = sp
	}
	for _, sp := range spans {
		if p, ok := byID[sp.parent]; ok && p.isHTTPClient() && sp.kind == trace.SpanKindServer {
			server[p.id] = sp
		}
	}
	txs := map[string]map[int]bool{}
	for _, sp := range spans {
		switch {
		case sp.isSQL():
			m.sqlBy[sp.service]++
			m.c.sql++
			if n := s.txs.tx(sp.id); n > 0 {
				if txs[sp.service] == nil {
					txs[sp.service] = map[int]bool{}
				}
				txs[sp.service][n] = true
			}
		case sp.isHTTPClient():
			caller := "?"
			if p, ok := byID[sp.parent]; ok {
				caller = p.service
			}
			callee, route := "?", sp.name
			if srv, ok := server[sp.id]; ok {
				callee, route = srv.service, srv.name
			}
			m.httpBy[caller+"→"+callee+" "+route]++
			m.c.http++
		case clientCalls[sp.temporalOp()]:
			m.c.temporalCalls++
		}
	}
	for svc, set := range txs {
		m.txBy[svc] = len(set)
		m.c.txs += len(set)
	}
}

// countHistories reads the history of every workflow execution the spans
// name and counts its events inside [t0, tEnd].
func (s *stack) countHistories(m *measured, spans []span, t0, tEnd time.Time) {
	runs := map[string]map[string]bool{} // workflow id → run ids ("" latest)
	for _, sp := range spans {
		if sp.workflowID == "" {
			continue
		}
		if runs[sp.workflowID] == nil {
			runs[sp.workflowID] = map[string]bool{}
		}
		runs[sp.workflowID][sp.runID] = true
	}
	ctx := context.Background()
	for _, id := range slices.Sorted(maps.Keys(runs)) {
		rs := runs[id]
		if len(rs) > 1 {
			delete(rs, "") // the runs are known
		}
		for _, run := range slices.Sorted(maps.Keys(rs)) {
			it := s.tc.GetWorkflowHistory(ctx, id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			wfType, touched := "", false
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					s.t.Fatalf("history of %s/%s: %v", id, run, err)
				}
				if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
					wfType = a.GetWorkflowType().GetName()
				}
				at := e.GetEventTime().AsTime()
				if at.Before(t0) || at.After(tEnd) {
					continue
				}
				touched = true
				m.count(e)
			}
			if touched {
				m.c.executions++
				m.workflowBy[wfType]++
			}
		}
	}
}

// count adds one history event.
func (m *measured) count(e *history.HistoryEvent) {
	m.c.events++
	switch e.GetEventType() {
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		m.c.starts++
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		m.c.updates++
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		m.c.signals++
	case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		m.c.wfTasks++
	case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		m.c.activities++
		m.activityBy[e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()]++
	case enums.EVENT_TYPE_ACTIVITY_TASK_STARTED:
		if e.GetActivityTaskStartedEventAttributes().GetAttempt() > 1 {
			m.retries++
		}
	case enums.EVENT_TYPE_MARKER_RECORDED:
		if a := testenv.LocalActivityType(e); a != "" {
			m.c.localActs++
			m.localBy[a]++
		}
	case enums.EVENT_TYPE_TIMER_STARTED:
		m.c.timers++
	case enums.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		m.c.children++
	}
}

// table renders the measured actions as a Markdown table; an action
// divided by what it reached gets a second row per unit.
func table(rows []*measured) string {
	var b strings.Builder
	b.WriteString("| action | answer ms | settled ms | executions (started) | updates | signals | workflow tasks | activities | local act. | timers | history events | Temporal API calls | HTTP between services | SQL statements (transactions) by service |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, m := range rows {
		row := func(label string, div float64, timeCells bool) {
			f := func(n int) string {
				if div == 1 {
					return fmt.Sprint(n)
				}
				return fmt.Sprintf("%.1f", float64(n)/div)
			}
			ans, set := fmt.Sprintf("%.0f", ms(m.answer)), fmt.Sprintf("%.0f", ms(m.settled))
			if !timeCells {
				ans, set = "", ""
			}
			var sql []string
			for _, svc := range slices.Sorted(maps.Keys(m.sqlBy)) {
				sql = append(sql, fmt.Sprintf("%s %s (%s)", svc, f(m.sqlBy[svc]), f(m.txBy[svc])))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, ans, set,
				f(m.c.executions), f(m.c.starts), f(m.c.updates), f(m.c.signals), f(m.c.wfTasks), f(m.c.activities), f(m.c.localActs),
				f(m.c.timers), f(m.c.events), f(m.c.temporalCalls), f(m.c.http), strings.Join(sql, " · "))
		}
		row(m.name, 1, true)
		if m.per > 1 {
			row(fmt.Sprintf("… per %s (÷ %d)", m.perWhat, m.per), float64(m.per), false)
		}
	}
	return b.String()
}

// details lists, per action, the workflows, activities and calls behind the
// table's numbers.
func details(rows []*measured) string {
	var b strings.Builder
	list := func(m map[string]int) string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, fmt.Sprintf("%s ×%d", k, m[k]))
		}
		if len(out) == 0 {
			return "—"
		}
		return strings.Join(out, ", ")
	}
	for _, m := range rows {
		fmt.Fprintf(&b, "- **%s**: workflows %s; activities %s; local activities %s; HTTP %s", m.name, list(m.workflowBy), list(m.activityBy), list(m.localBy), list(m.httpBy))
		if m.c.children > 0 {
			fmt.Fprintf(&b, "; child workflows %d", m.c.children)
		}
		if m.retries > 0 {
			fmt.Fprintf(&b, "; activity retries %d", m.retries)
		}
		if len(m.detached) > 0 {
			n := map[string]int{}
			for _, d := range m.detached {
				n[d]++
			}
			fmt.Fprintf(&b, "; counted off the request's trace: %s", list(n))
		}
		b.WriteString("\n")
	}
	return b.String()
}
