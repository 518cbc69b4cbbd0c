package dbotel

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gorm.io/gorm"
)

type thing struct {
	ID     int
	Secret string
}

func TestSpansPerStatementWithoutBoundValues(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "t.db")), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Use(New(tp, noop.NewMeterProvider())); err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&thing{}); err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("t").Start(context.Background(), "request")
	if err := db.WithContext(ctx).Create(&thing{ID: 1, Secret: "hunter2-secret"}).Error; err != nil {
		t.Fatal(err)
	}
	var got thing
	if err := db.WithContext(ctx).Where("secret = ?", "hunter2-secret").Take(&got).Error; err != nil {
		t.Fatal(err)
	}
	parent.End()

	var names []string
	for _, s := range exp.GetSpans() {
		if s.Name == "request" {
			continue
		}
		if s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
			continue
		}
		names = append(names, s.Name)
		if s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the request span", s.Name)
		}
		for _, a := range s.Attributes {
			if strings.Contains(a.Value.Emit(), "hunter2") {
				t.Errorf("span %s leaks a bound value in %s", s.Name, a.Key)
			}
		}
	}
	if strings.Join(names, ",") != "INSERT things,SELECT things" {
		t.Fatalf("spans in the request's trace: %v", names)
	}
	if operation("  select 1") != "SELECT" || operation("WITH RECURSIVE x") != "WITH" {
		t.Fatal("operation names")
	}
}
