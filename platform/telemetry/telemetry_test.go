package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

func setup(t *testing.T, o Options) *Telemetry {
	t.Helper()
	tel, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return tel
}

func scrape(t *testing.T, tel *Telemetry) string {
	t.Helper()
	w := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", w.Code)
	}
	body, err := io.ReadAll(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestSpansAreBatchedAndExported(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel := setup(t, Options{ServiceName: "test", ServiceVersion: "1.2.3", SpanExporter: exp})

	_, span := tel.Tracer("t").Start(context.Background(), "work")
	span.End()
	if err := tel.TracerProvider().ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "work" || spans[0].SpanContext.TraceID() != span.SpanContext().TraceID() {
		t.Fatalf("exported spans: %v", spans)
	}
	attrs := map[string]string{}
	for _, a := range spans[0].Resource.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["service.name"] != "test" || attrs["service.version"] != "1.2.3" {
		t.Fatalf("resource: %v", attrs)
	}
}

func TestGlobalProviderAndPropagatorWithoutExporter(t *testing.T) {
	tel := setup(t, Options{ServiceName: "test"})
	if otel.GetTracerProvider() != tel.TracerProvider() {
		t.Fatal("tracer provider is not the global one")
	}
	ctx, span := otel.Tracer("t").Start(context.Background(), "work")
	defer span.End()
	if !span.SpanContext().IsValid() || !span.IsRecording() {
		t.Fatal("without an exporter spans still get real ids")
	}
	carrier := propagation.HeaderCarrier(http.Header{})
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	if tp := carrier.Get("traceparent"); !strings.Contains(tp, span.SpanContext().TraceID().String()) {
		t.Fatalf("traceparent %q does not carry the trace id", tp)
	}
}

func TestMetricsHandlerServesOTelGoProcessAndTemporalMetrics(t *testing.T) {
	tel := setup(t, Options{ServiceName: "test"})
	counter, err := tel.MeterProvider().Meter("t").Int64Counter("closeloop_test_things")
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(context.Background(), 3)
	h := tel.TemporalMetricsHandler()
	h.Counter("temporal_test_counter").Inc(2)
	h.Timer("temporal_test_latency").Record(150 * time.Millisecond)

	body := scrape(t, tel)
	for _, want := range []string{
		"closeloop_test_things_total 3",
		"temporal_test_counter_total 2",
		"temporal_test_latency",
		"go_goroutines",
		"process_cpu_seconds_total",
		`target_info{service_name="test"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if _, err := tel.TemporalInterceptor(); err != nil {
		t.Fatal(err)
	}
}

// collector is an in-process OTLP/gRPC trace receiver.
type collector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
}

func (c *collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.names = append(c.names, sp.GetName())
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (c *collector) received() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}

func TestOTLPExportToPlaintextEndpoint(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	col := &collector{}
	coltracepb.RegisterTraceServiceServer(srv, col)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	// Both spellings mean plaintext gRPC.
	for _, endpoint := range []string{lis.Addr().String(), "http://" + lis.Addr().String()} {
		tel, err := Setup(context.Background(), Options{ServiceName: "test", OTLPEndpoint: endpoint})
		if err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
		_, span := tel.Tracer("t").Start(context.Background(), "via "+endpoint)
		span.End()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := tel.Shutdown(ctx); err != nil {
			t.Fatalf("%s: shutdown (flush): %v", endpoint, err)
		}
		cancel()
		if got := col.received(); !slices.Contains(got, "via "+endpoint) {
			t.Fatalf("%s: collector received %v", endpoint, got)
		}
	}
}

func TestOTLPExportOffWhenDisabledByEnvironment(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	// Nothing listens on port 1: an enabled exporter would fail the flush.
	tel, err := Setup(context.Background(), Options{ServiceName: "test", OTLPEndpoint: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("t").Start(context.Background(), "work")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestSampleRatioOutOfRange(t *testing.T) {
	for _, r := range []float64{-0.1, 1.5} {
		if _, err := Setup(context.Background(), Options{SampleRatio: r}); err == nil {
			t.Errorf("ratio %v accepted", r)
		}
	}
}
