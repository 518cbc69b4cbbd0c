// Package dbotel traces and measures every SQL statement gorm runs: one client
// span per statement, child of the caller's span (so an HTTP request or a
// Temporal activity shows its SQL), carrying the statement text with
// placeholders — never the bound values — and a db.client.operation.duration
// histogram by system, operation and table. It is a small gorm plugin instead
// of gorm.io/plugin/opentelemetry, which pulls in three other database drivers.
//
// Spans are named "<operation> <table>" ("SELECT customers") or just the
// operation when gorm knows no table (raw statements), and carry the
// db.system.name, db.query.text, db.operation.name and db.collection.name
// attributes, db.response.returned_rows for queries and db.rows_affected for
// writes. Failed statements record the error, except gorm.ErrRecordNotFound.
// For Row and Rows the span covers issuing the query, not reading the rows.
package dbotel

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

const (
	// ScopeName is the instrumentation scope of the spans and the histogram.
	ScopeName = "github.com/closeloop/closeloop/platform/db/dbotel"
	// DurationMetric is the histogram of statement durations, in seconds.
	DurationMetric = "db.client.operation.duration"
	// RowsAffectedKey counts the rows a write statement changed (no semantic
	// convention exists for it).
	RowsAffectedKey = attribute.Key("db.rows_affected")

	pluginName = "closeloop:otel"
)

type plugin struct {
	tracer   trace.Tracer
	duration metric.Float64Histogram
}

// New returns the plugin; register it with db.Use. Spans go to tp, the
// duration histogram to mp.
func New(tp trace.TracerProvider, mp metric.MeterProvider) gorm.Plugin {
	p := &plugin{tracer: tp.Tracer(ScopeName)}
	h, err := mp.Meter(ScopeName).Float64Histogram(DurationMetric,
		metric.WithUnit("s"), metric.WithDescription("Duration of SQL statements."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	if err != nil {
		otel.Handle(err)
	}
	if h == nil {
		h = noop.Float64Histogram{}
	}
	p.duration = h
	return p
}

// Name implements gorm.Plugin.
func (p *plugin) Name() string { return pluginName }

// Initialize implements gorm.Plugin: it wraps gorm's create, query, update,
// delete, row and raw callbacks with a span.
func (p *plugin) Initialize(db *gorm.DB) error {
	system := systemName(db.Dialector.Name())
	cb := db.Callback()
	type hook struct {
		kind          string // callback name
		fallbackOp    string // operation when there is no SQL text
		before, after func(string, func(*gorm.DB)) error
	}
	hooks := []hook{
		{"create", "INSERT", cb.Create().Before("gorm:create").Register, cb.Create().After("gorm:create").Register},
		{"query", "SELECT", cb.Query().Before("gorm:query").Register, cb.Query().After("gorm:query").Register},
		{"update", "UPDATE", cb.Update().Before("gorm:update").Register, cb.Update().After("gorm:update").Register},
		{"delete", "DELETE", cb.Delete().Before("gorm:delete").Register, cb.Delete().After("gorm:delete").Register},
		{"row", "SQL", cb.Row().Before("gorm:row").Register, cb.Row().After("gorm:row").Register},
		{"raw", "SQL", cb.Raw().Before("gorm:raw").Register, cb.Raw().After("gorm:raw").Register},
	}
	for _, h := range hooks {
		if err := h.before(pluginName+":before_"+h.kind, p.before(system)); err != nil {
			return err
		}
		if err := h.after(pluginName+":after_"+h.kind, p.after(system, h.kind, h.fallbackOp)); err != nil {
			return err
		}
	}
	return nil
}

// systemName maps a gorm dialector name to db.system.name.
func systemName(dialector string) string {
	switch dialector {
	case "postgres":
		return semconv.DBSystemNamePostgreSQL.Value.AsString()
	case "sqlite", "sqlite3":
		return semconv.DBSystemNameSQLite.Value.AsString()
	default:
		return dialector
	}
}

// stmtKey keys the in-flight statement in the statement's context.
type stmtKey struct{}

// inflight is what before hands to after: the caller's context (restored
// afterwards, so a reused *gorm.DB does not nest the next statement under an
// ended span), the statement's span and its start.
type inflight struct {
	parent context.Context
	span   trace.Span
	start  time.Time
}

func (p *plugin) before(system string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		if db.Statement == nil {
			return
		}
		parent := db.Statement.Context
		if parent == nil {
			parent = context.Background()
		}
		ctx, span := p.tracer.Start(parent, "db", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.DBSystemNameKey.String(system)))
		db.Statement.Context = context.WithValue(ctx, stmtKey{}, &inflight{parent: parent, span: span, start: time.Now()})
	}
}

func (p *plugin) after(system, kind, fallbackOp string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		if db.Statement == nil || db.Statement.Context == nil {
			return
		}
		st, ok := db.Statement.Context.Value(stmtKey{}).(*inflight)
		if !ok {
			return
		}
		elapsed := time.Since(st.start)
		db.Statement.Context = st.parent

		query := db.Statement.SQL.String()
		op := operation(query, fallbackOp)
		table := db.Statement.Table
		attrs := []attribute.KeyValue{semconv.DBSystemNameKey.String(system), semconv.DBOperationNameKey.String(op)}
		if table != "" {
			attrs = append(attrs, semconv.DBCollectionNameKey.String(table))
		}
		var errAttrs []attribute.KeyValue
		failed := db.Error != nil && !errors.Is(db.Error, gorm.ErrRecordNotFound)
		if failed {
			errAttrs = append(errAttrs, semconv.ErrorType(db.Error))
			var coded interface{ SQLState() string }
			if errors.As(db.Error, &coded) {
				errAttrs = append(errAttrs, semconv.DBResponseStatusCode(coded.SQLState()))
			}
		}

		if span := st.span; span.IsRecording() {
			name := op
			if table != "" {
				name += " " + table
			}
			span.SetName(name)
			span.SetAttributes(attrs...)
			span.SetAttributes(semconv.DBQueryText(query))
			switch kind {
			case "query":
				span.SetAttributes(semconv.DBResponseReturnedRows(int(db.Statement.RowsAffected)))
			case "create", "update", "delete", "raw":
				span.SetAttributes(RowsAffectedKey.Int64(db.Statement.RowsAffected))
			}
			if failed {
				// Only the error's type and code (in errAttrs) go on the span: a
				// driver message can quote bound input ("invalid input syntax for
				// type uuid: ..."), and bound values never enter traces.
				span.SetAttributes(errAttrs...)
				span.SetStatus(codes.Error, "statement failed")
			}
		}
		st.span.End()
		p.duration.Record(st.parent, elapsed.Seconds(), metric.WithAttributes(append(attrs, errAttrs...)...))
	}
}

// operation is the statement's leading keyword, upper-cased ("SELECT",
// "INSERT", "WITH", "CREATE"), or fallback for an empty statement.
func operation(query, fallback string) string {
	q := strings.TrimSpace(query)
	if i := strings.IndexAny(q, " \n\t\r("); i > 0 {
		q = q[:i]
	}
	if q == "" {
		return fallback
	}
	return strings.ToUpper(q)
}

// RegisterDBStats exposes the connection pool statistics of sqlDB on reg as
// go_sql_* metrics labelled db_name=name.
func RegisterDBStats(reg *prometheus.Registry, sqlDB *sql.DB, name string) error {
	return reg.Register(collectors.NewDBStatsCollector(sqlDB, name))
}
