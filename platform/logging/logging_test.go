package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"testing/slogtest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		out = append(out, m)
	}
	return out
}

func TestTraceIDsInLogs(t *testing.T) {
	var buf bytes.Buffer
	log := WithService(New("info", &buf), "test")
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")
	log.Info("no context")
	log.DebugContext(ctx, "hidden")

	got := lines(t, &buf)
	if len(got) != 3 {
		t.Fatalf("want 3 lines (debug filtered), got %d: %s", len(got), buf.String())
	}
	in := got[0]
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() || in["service"] != "test" {
		t.Fatalf("inside a span: %v", in)
	}
	for _, out := range got[1:] {
		if _, ok := out["trace_id"]; ok {
			t.Fatalf("outside a span there is no trace id: %v", out)
		}
		if _, ok := out["span_id"]; ok {
			t.Fatalf("outside a span there is no span id: %v", out)
		}
	}
}

func TestTraceIDsStayTopLevelInGroups(t *testing.T) {
	var buf bytes.Buffer
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	log := New("debug", &buf).With(Service("svc")).WithGroup("req").With("method", "GET").WithGroup("inner")
	log.InfoContext(ctx, "grouped", "k", "v")
	log.InfoContext(context.Background(), "grouped without span", "k", "v")

	got := lines(t, &buf)
	if len(got) != 2 {
		t.Fatalf("lines: %s", buf.String())
	}
	want := `{"k":"v"}`
	for i, m := range got {
		req, _ := m["req"].(map[string]any)
		inner, _ := json.Marshal(req["inner"])
		if m["service"] != "svc" || req["method"] != "GET" || string(inner) != want {
			t.Fatalf("line %d keeps its structure: %v", i, m)
		}
		if _, ok := req["trace_id"]; ok {
			t.Fatalf("trace id inside a group: %v", m)
		}
	}
	if got[0]["trace_id"] != span.SpanContext().TraceID().String() || got[0]["span_id"] != span.SpanContext().SpanID().String() {
		t.Fatalf("grouped record lacks top-level ids: %v", got[0])
	}
	if _, ok := got[1]["trace_id"]; ok {
		t.Fatalf("no span, no trace id: %v", got[1])
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, " INFO ": slog.LevelInfo, "warn": slog.LevelWarn,
		"Warning": slog.LevelWarn, "error": slog.LevelError, "": slog.LevelInfo, "verbose": slog.LevelInfo,
	} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

// The wrapper keeps slog's handler contract.
func TestHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(slog.NewJSONHandler(&buf, nil))
	results := func() []map[string]any {
		var ms []map[string]any
		for _, line := range bytes.Split(buf.Bytes(), []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		return ms
	}
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Fatal(err)
	}
}
