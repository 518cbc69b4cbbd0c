package dbotel

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

type thing struct {
	ID     int
	Secret string
	Count  int
}

const secret = "hunter2-secret"

type fixture struct {
	db     *gorm.DB
	spans  *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "t.db")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if err := db.Use(New(f.tp, mp)); err != nil {
		t.Fatal(err)
	}
	f.db = db
	return f
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, a := range s.Attributes {
		m[a.Key] = a.Value
	}
	return m
}

func TestSpansPerStatementWithoutBoundValues(t *testing.T) {
	f := newFixture(t)
	ctx, parent := f.tp.Tracer("t").Start(context.Background(), "request")
	db := f.db.WithContext(ctx)
	if err := db.AutoMigrate(&thing{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&thing{ID: 1, Secret: secret, Count: 7}).Error; err != nil {
		t.Fatal(err)
	}
	// A reused chain runs two statements on one *gorm.DB: both must be
	// children of the request, not of each other.
	q := db.Where("secret = ?", secret)
	var got []thing
	if err := q.Find(&got).Error; err != nil || len(got) != 1 {
		t.Fatalf("find: %v %v", got, err)
	}
	if err := q.Find(&got).Error; err != nil || len(got) != 1 {
		t.Fatalf("find again: %v %v", got, err)
	}
	if err := db.Model(&thing{}).Where("secret = ?", secret).Update("count", 8).Error; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Raw("SELECT count(*) FROM things WHERE secret = ?", secret).Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("raw scan: %d %v", n, err)
	}
	if err := db.Exec("UPDATE things SET count = ? WHERE secret = ?", 9, secret).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Where("secret = ?", secret).Delete(&thing{}).Error; err != nil {
		t.Fatal(err)
	}
	parent.End()

	var names []string
	byName := map[string][]tracetest.SpanStub{}
	for _, s := range f.spans.GetSpans() {
		if s.Name == "request" {
			continue
		}
		if s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("%s is in another trace", s.Name)
			continue
		}
		if s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the request span", s.Name)
		}
		names = append(names, s.Name)
		byName[s.Name] = append(byName[s.Name], s)
		for _, a := range s.Attributes {
			if strings.Contains(a.Value.Emit(), "hunter2") {
				t.Errorf("span %s leaks a bound value in %s", s.Name, a.Key)
			}
		}
		for _, e := range s.Events {
			for _, a := range e.Attributes {
				if strings.Contains(a.Value.Emit(), "hunter2") {
					t.Errorf("span %s leaks a bound value in event %s", s.Name, e.Name)
				}
			}
		}
		if s.Status.Code == codes.Error {
			t.Errorf("%s failed: %s", s.Name, s.Status.Description)
		}
		if a := attrs(s); a["db.system.name"].AsString() != "sqlite" || a["db.query.text"].AsString() == "" || a["db.operation.name"].AsString() == "" {
			t.Errorf("%s lacks attributes: %v", s.Name, s.Attributes)
		}
	}
	for _, want := range []string{"CREATE", "INSERT things", "SELECT things", "UPDATE things", "DELETE things", "SELECT", "UPDATE"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %q span among %v", want, names)
		}
	}
	if len(byName["SELECT things"]) != 2 {
		t.Errorf("want two SELECT things spans: %v", names)
	}

	ins := attrs(byName["INSERT things"][0])
	if text := ins["db.query.text"].AsString(); !strings.HasPrefix(text, "INSERT INTO `things`") || !strings.Contains(text, "?") {
		t.Errorf("insert statement text: %q", text)
	}
	if ins["db.collection.name"].AsString() != "things" || ins["db.operation.name"].AsString() != "INSERT" || ins[RowsAffectedKey].AsInt64() != 1 {
		t.Errorf("insert attributes: %v", ins)
	}
	sel := attrs(byName["SELECT things"][0])
	if sel["db.response.returned_rows"].AsInt64() != 1 || !strings.Contains(sel["db.query.text"].AsString(), "secret = ?") {
		t.Errorf("select attributes: %v", sel)
	}
	if upd := attrs(byName["UPDATE"][0]); upd[RowsAffectedKey].AsInt64() != 1 {
		t.Errorf("raw update attributes: %v", upd)
	}
}

func TestErrorsRecordedButNotRecordNotFound(t *testing.T) {
	f := newFixture(t)
	if err := f.db.AutoMigrate(&thing{}); err != nil {
		t.Fatal(err)
	}
	f.spans.Reset()
	ctx := context.Background()
	var th thing
	if err := f.db.WithContext(ctx).Take(&th, 42).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Fatalf("take: %v", err)
	}
	if err := f.db.WithContext(ctx).Table("missing").Find(&[]thing{}).Error; err == nil {
		t.Fatal("query of a missing table succeeded")
	}
	spans := f.spans.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("spans: %v", spans)
	}
	if spans[0].Name != "SELECT things" || spans[0].Status.Code == codes.Error || len(spans[0].Events) != 0 {
		t.Errorf("record not found is no error: %+v", spans[0])
	}
	failed := spans[1]
	// The driver's message may quote bound input, so the span carries only the
	// error's type (and code), never the message.
	if failed.Name != "SELECT missing" || failed.Status.Code != codes.Error || failed.Status.Description != "statement failed" || len(failed.Events) != 0 {
		t.Errorf("failed statement: %+v", failed)
	}
	if attrs(failed)["error.type"].AsString() == "" {
		t.Errorf("failed statement lacks error.type: %v", failed.Attributes)
	}
	if failed.Parent.IsValid() {
		t.Errorf("without a caller span the statement is a root span, got parent %v", failed.Parent.SpanID())
	}
}

func TestDurationHistogram(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.db.AutoMigrate(&thing{}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := f.db.WithContext(ctx).Create(&thing{ID: i, Secret: secret}).Error; err != nil {
			t.Fatal(err)
		}
	}
	_ = f.db.WithContext(ctx).Table("missing").Find(&[]thing{}).Error

	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var hist *metricdata.Histogram[float64]
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == DurationMetric {
				if m.Unit != "s" {
					t.Errorf("unit %q", m.Unit)
				}
				h := m.Data.(metricdata.Histogram[float64])
				hist = &h
			}
		}
	}
	if hist == nil {
		t.Fatalf("no %s among %+v", DurationMetric, rm.ScopeMetrics)
	}
	key := func(set attribute.Set) string {
		var parts []string
		for _, kv := range set.ToSlice() {
			v := kv.Value.Emit()
			if kv.Key == "error.type" {
				v = "*"
			}
			parts = append(parts, string(kv.Key)+"="+v)
		}
		return strings.Join(parts, ",")
	}
	counts := map[string]uint64{}
	for _, dp := range hist.DataPoints {
		counts[key(dp.Attributes)] += dp.Count
	}
	if c := counts["db.collection.name=things,db.operation.name=INSERT,db.system.name=sqlite"]; c != 3 {
		t.Errorf("INSERT things count %d in %v", c, counts)
	}
	if c := counts["db.collection.name=missing,db.operation.name=SELECT,db.system.name=sqlite,error.type=*"]; c != 1 {
		t.Errorf("failed SELECT missing count %d in %v", c, counts)
	}
}

func TestRegisterDBStats(t *testing.T) {
	f := newFixture(t)
	sqlDB, err := f.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := RegisterDBStats(reg, sqlDB, "demo"); err != nil {
		t.Fatal(err)
	}
	if err := RegisterDBStats(reg, sqlDB, "demo"); err == nil {
		t.Error("registering the same pool twice succeeded")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "go_sql_open_connections" {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == "db_name" && l.GetValue() == "demo")
				}
			}
		}
	}
	if !found {
		t.Fatal("go_sql_open_connections{db_name=\"demo\"} not gathered")
	}
}

func TestOperationAndSystemNames(t *testing.T) {
	for in, want := range map[string]string{
		"  select 1": "SELECT", "WITH RECURSIVE x AS (SELECT 1) SELECT * FROM x": "WITH",
		"INSERT INTO `t` (`a`) VALUES (?)": "INSERT", "\n\tdelete from t": "DELETE", "VACUUM": "VACUUM", "": "SQL",
	} {
		if got := operation(in, "SQL"); got != want {
			t.Errorf("operation(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"postgres": "postgresql", "sqlite": "sqlite", "mysql": "mysql"} {
		if got := systemName(in); got != want {
			t.Errorf("systemName(%q) = %q, want %q", in, got, want)
		}
	}
}
