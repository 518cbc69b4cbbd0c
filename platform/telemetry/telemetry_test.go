package telemetry

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestSpansExportedAndMetricsServed(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel, err := Setup(context.Background(), Options{ServiceName: "test", SpanExporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	_, span := tel.Tracer("t").Start(context.Background(), "work")
	span.End()
	if spans := exp.GetSpans(); len(spans) != 1 || spans[0].Name != "work" {
		t.Fatalf("spans %v", spans)
	}
	counter, _ := tel.MeterProvider().Meter("t").Int64Counter("closeloop_test_things")
	counter.Add(context.Background(), 3)
	h := tel.TemporalMetricsHandler()
	h.Counter("temporal_test_counter").Inc(2)

	w := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	for _, want := range []string{"closeloop_test_things_total", "temporal_test_counter", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if _, err := tel.TemporalInterceptor(); err != nil {
		t.Fatal(err)
	}
}
