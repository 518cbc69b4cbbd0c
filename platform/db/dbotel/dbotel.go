// Package dbotel traces and measures every SQL statement gorm runs: one client
// span per statement, child of the caller's span (so an HTTP request or a
// Temporal activity shows its SQL), carrying the statement text with
// placeholders — never the bound values — and a duration histogram by
// operation and table. It is a small gorm plugin instead of
// gorm.io/plugin/opentelemetry, which pulls in three other database drivers.
package dbotel

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

type plugin struct {
	tracer   trace.Tracer
	duration metric.Float64Histogram
}

// New returns the plugin; register it with db.Use.
func New(tp trace.TracerProvider, mp metric.MeterProvider) gorm.Plugin {
	p := &plugin{tracer: tp.Tracer("closeloop/dbotel")}
	p.duration, _ = mp.Meter("closeloop/dbotel").Float64Histogram("db.client.operation.duration",
		metric.WithUnit("s"), metric.WithDescription("duration of SQL statements"),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
	return p
}

func (p *plugin) Name() string { return "closeloop:otel" }

type startKey struct{}

func (p *plugin) Initialize(db *gorm.DB) error {
	cb := db.Callback()
	type reg struct {
		name   string
		before func(string, func(*gorm.DB)) error
		after  func(string, func(*gorm.DB)) error
	}
	regs := []reg{
		{"create", func(n string, f func(*gorm.DB)) error { return cb.Create().Before("gorm:create").Register(n, f) }, func(n string, f func(*gorm.DB)) error { return cb.Create().After("gorm:create").Register(n, f) }},
		{"query", func(n string, f func(*gorm.DB)) error { return cb.Query().Before("gorm:query").Register(n, f) }, func(n string, f func(*gorm.DB)) error { return cb.Query().After("gorm:query").Register(n, f) }},
		{"update", func(n string, f func(*gorm.DB)) error { return cb.Update().Before("gorm:update").Register(n, f) }, func(n string, f func(*gorm.DB)) error { return cb.Update().After("gorm:update").Register(n, f) }},
		{"delete", func(n string, f func(*gorm.DB)) error { return cb.Delete().Before("gorm:delete").Register(n, f) }, func(n string, f func(*gorm.DB)) error { return cb.Delete().After("gorm:delete").Register(n, f) }},
		{"row", func(n string, f func(*gorm.DB)) error { return cb.Row().Before("gorm:row").Register(n, f) }, func(n string, f func(*gorm.DB)) error { return cb.Row().After("gorm:row").Register(n, f) }},
		{"raw", func(n string, f func(*gorm.DB)) error { return cb.Raw().Before("gorm:raw").Register(n, f) }, func(n string, f func(*gorm.DB)) error { return cb.Raw().After("gorm:raw").Register(n, f) }},
	}
	system := "sqlite"
	if db.Dialector.Name() == "postgres" {
		system = "postgresql"
	}
	for _, r := range regs {
		if err := r.before("closeloop:otel_before_"+r.name, p.before(system)); err != nil {
			return err
		}
		if err := r.after("closeloop:otel_after_"+r.name, p.after(system)); err != nil {
			return err
		}
	}
	return nil
}

func (p *plugin) before(system string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		if db.Statement == nil || db.Statement.Context == nil {
			return
		}
		ctx, _ := p.tracer.Start(db.Statement.Context, "db", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system.name", system)))
		db.Statement.Context = ctx
		db.InstanceSet("closeloop:otel_start", time.Now())
	}
}

func (p *plugin) after(system string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		if db.Statement == nil || db.Statement.Context == nil {
			return
		}
		span := trace.SpanFromContext(db.Statement.Context)
		query := db.Statement.SQL.String()
		op := operation(query)
		table := db.Statement.Table
		if span.IsRecording() {
			name := op
			if table != "" {
				name += " " + table
			}
			span.SetName(name)
			span.SetAttributes(
				attribute.String("db.query.text", query),
				attribute.String("db.operation.name", op),
				attribute.String("db.collection.name", table),
				attribute.Int64("db.response.returned_rows", db.Statement.RowsAffected),
			)
			if db.Error != nil && !errors.Is(db.Error, gorm.ErrRecordNotFound) {
				span.RecordError(db.Error)
				span.SetStatus(codes.Error, "statement failed")
			}
			span.End()
		}
		if v, ok := db.InstanceGet("closeloop:otel_start"); ok {
			if start, ok := v.(time.Time); ok && p.duration != nil {
				p.duration.Record(db.Statement.Context, time.Since(start).Seconds(), metric.WithAttributes(
					attribute.String("db.system.name", system), attribute.String("db.operation.name", op), attribute.String("db.collection.name", table)))
			}
		}
	}
}

func operation(query string) string {
	q := strings.TrimSpace(query)
	if i := strings.IndexAny(q, " \n\t("); i > 0 {
		q = q[:i]
	}
	if q == "" {
		return "SQL"
	}
	return strings.ToUpper(q)
}

// RegisterDBStats exposes the connection pool's statistics on reg.
func RegisterDBStats(reg *prometheus.Registry, sqlDB *sql.DB, name string) error {
	return reg.Register(collectors.NewDBStatsCollector(sqlDB, name))
}
