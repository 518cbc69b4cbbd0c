package roundtrips_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db/dbotel"
)

// recorder keeps every span every tracer provider of the stack starts, as it
// starts: spans still open when the action has settled (the RunWorkflow span
// of a workflow that waits on a timer) are seen too, which an exporter,
// called at a span's end only, would miss.
type recorder struct {
	mu    sync.Mutex
	spans []sdktrace.ReadWriteSpan
}

func (r *recorder) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
}
func (r *recorder) OnEnd(sdktrace.ReadOnlySpan)      {}
func (r *recorder) Shutdown(context.Context) error   { return nil }
func (r *recorder) ForceFlush(context.Context) error { return nil }

// reset forgets the spans recorded so far.
func (r *recorder) reset() {
	r.mu.Lock()
	r.spans = nil
	r.mu.Unlock()
}

// span is what the harness reads of a recorded span.
type span struct {
	traceID        trace.TraceID
	id, parent     trace.SpanID
	name, service  string
	scope          string
	kind           trace.SpanKind
	start, end     time.Time // end zero: still open
	workflowID     string
	runID          string
	dbOp           string
	rowsAffected   int64
	hasRowsWritten bool
}

func (s span) open() bool { return s.end.IsZero() }

// isSQL: a statement traced by dbotel.
func (s span) isSQL() bool { return s.scope == dbotel.ScopeName }

// isHTTPClient: a call to another service.
func (s span) isHTTPClient() bool {
	return s.kind == trace.SpanKindClient && strings.Contains(s.scope, "otelhttp")
}

// temporalOp is the operation of a span of the Temporal tracing interceptor
// ("StartWorkflow", "RunActivity", …), empty for other spans.
func (s span) temporalOp() string {
	if s.scope != "temporal-sdk-go" {
		return ""
	}
	op, _, _ := strings.Cut(s.name, ":")
	return op
}

// clientCalls are the operations of Temporal's client API the interceptor
// traces: a service (or a workflow's activity) asking the frontend.
var clientCalls = map[string]bool{"StartWorkflow": true, "SignalWorkflow": true, "SignalWithStartWorkflow": true,
	"UpdateWorkflow": true, "UpdateWithStartWorkflow": true, "QueryWorkflow": true, "CreateSchedule": true}

// snapshot reads the recorded spans.
func (r *recorder) snapshot() []span {
	r.mu.Lock()
	rs := slices.Clone(r.spans)
	r.mu.Unlock()
	out := make([]span, 0, len(rs))
	for _, s := range rs {
		sp := span{traceID: s.SpanContext().TraceID(), id: s.SpanContext().SpanID(), parent: s.Parent().SpanID(),
			name: s.Name(), scope: s.InstrumentationScope().Name, kind: s.SpanKind(), start: s.StartTime(), end: s.EndTime()}
		if v, ok := s.Resource().Set().Value(semconv.ServiceNameKey); ok {
			sp.service = v.AsString()
		}
		for _, a := range s.Attributes() {
			switch a.Key {
			case "temporalWorkflowID":
				sp.workflowID = a.Value.AsString()
			case "temporalRunID":
				sp.runID = a.Value.AsString()
			case semconv.DBOperationNameKey:
				sp.dbOp = a.Value.AsString()
			case dbotel.RowsAffectedKey:
				sp.rowsAffected, sp.hasRowsWritten = a.Value.AsInt64(), true
			}
		}
		out = append(out, sp)
	}
	return out
}

// txLog numbers the database transactions statements run in: gorm runs a
// statement of db.Transaction on the *sql.Tx it began, so a callback beside
// dbotel's sees which transaction (if any) each statement span belongs to.
// The stack's gorm runs with SkipDefaultTransaction, so a statement outside
// such a transaction is one implicit transaction of its own.
type txLog struct {
	mu     sync.Mutex
	ids    map[gorm.TxCommitter]int // keeping the tx referenced: no address reuse
	bySpan map[trace.SpanID]int
}

func newTxLog() *txLog {
	return &txLog{ids: map[gorm.TxCommitter]int{}, bySpan: map[trace.SpanID]int{}}
}

// register adds the callback to every statement kind dbotel traces, after the
// statement ran and before dbotel's span ends (so the statement's context
// still holds the span).
func (l *txLog) register(gdb *gorm.DB) error {
	cb := gdb.Callback()
	note := func(db *gorm.DB) {
		if db.Statement == nil || db.Statement.Context == nil {
			return
		}
		sc := trace.SpanContextFromContext(db.Statement.Context)
		tx, ok := db.Statement.ConnPool.(gorm.TxCommitter)
		if !sc.IsValid() || !ok {
			return
		}
		l.mu.Lock()
		id, seen := l.ids[tx]
		if !seen {
			id = len(l.ids) + 1
			l.ids[tx] = id
		}
		l.bySpan[sc.SpanID()] = id
		l.mu.Unlock()
	}
	regs := []struct {
		kind string
		reg  func(string, func(*gorm.DB)) error
	}{
		{"create", cb.Create().After("gorm:create").Before("closeloop:otel:after_create").Register},
		{"query", cb.Query().After("gorm:query").Before("closeloop:otel:after_query").Register},
		{"update", cb.Update().After("gorm:update").Before("closeloop:otel:after_update").Register},
		{"delete", cb.Delete().After("gorm:delete").Before("closeloop:otel:after_delete").Register},
		{"row", cb.Row().After("gorm:row").Before("closeloop:otel:after_row").Register},
		{"raw", cb.Raw().After("gorm:raw").Before("closeloop:otel:after_raw").Register},
	}
	for _, r := range regs {
		if err := r.reg("roundtrips:tx_"+r.kind, note); err != nil {
			return err
		}
	}
	return nil
}

// tx is the transaction a statement span ran in, 0 for none.
func (l *txLog) tx(id trace.SpanID) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bySpan[id]
}

// tree renders spans (one trace, or several) as an indented tree: offset of
// each span's start from the first span's, its duration ("open" for a span
// still running, such as the RunWorkflow span of a workflow waiting on a
// timer), its service and its name; statements carry their transaction.
func tree(spans []span, txs *txLog) string {
	if len(spans) == 0 {
		return ""
	}
	byID := map[trace.SpanID]bool{}
	for _, s := range spans {
		byID[s.id] = true
	}
	kids := map[trace.SpanID][]span{}
	var roots []span
	for _, s := range spans {
		if s.parent.IsValid() && byID[s.parent] {
			kids[s.parent] = append(kids[s.parent], s)
		} else {
			roots = append(roots, s)
		}
	}
	byStart := func(a, b span) int { return a.start.Compare(b.start) }
	slices.SortFunc(roots, byStart)
	t0 := roots[0].start
	for _, s := range spans {
		if s.start.Before(t0) {
			t0 = s.start
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%9s %9s  %-9s %s\n", "start ms", "took ms", "service", "span")
	var walk func(s span, depth int)
	walk = func(s span, depth int) {
		took := "open"
		if !s.open() {
			took = fmt.Sprintf("%.1f", ms(s.end.Sub(s.start)))
		}
		name := s.name
		if s.isSQL() {
			if n := txs.tx(s.id); n > 0 {
				name += fmt.Sprintf("  [tx %d]", n)
			}
		}
		fmt.Fprintf(&b, "%9.1f %9s  %-9s %s%s\n", ms(s.start.Sub(t0)), took, s.service, strings.Repeat("  ", depth), name)
		ks := kids[s.id]
		slices.SortFunc(ks, byStart)
		for _, k := range ks {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
