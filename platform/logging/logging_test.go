package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestTraceIDsInLogs(t *testing.T) {
	var buf bytes.Buffer
	log := New("info", &buf).With("service", "test")
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")
	log.DebugContext(ctx, "hidden")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (debug filtered), got %d: %s", len(lines), buf.String())
	}
	var in, out map[string]any
	_ = json.Unmarshal(lines[0], &in)
	_ = json.Unmarshal(lines[1], &out)
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() || in["service"] != "test" {
		t.Fatalf("inside a span: %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Fatalf("outside a span there is no trace id: %v", out)
	}
}
