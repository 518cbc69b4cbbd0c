// Package telemetry sets up OpenTelemetry for a binary: a tracer provider that
// exports over OTLP/gRPC when an endpoint is configured (and still creates real
// trace ids otherwise, so logs and outgoing requests carry them), W3C
// trace-context and baggage propagation, and a meter provider exposed in
// Prometheus format on the binary's own registry — together with Go runtime,
// process, database and Temporal SDK metrics — for GET /metrics.
//
// The standard OTEL_ environment variables keep working: OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_SAMPLER(_ARG) when no SampleRatio is given, OTEL_BSP_* for the
// batch processor, OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, _TIMEOUT, _COMPRESSION,
// _CERTIFICATE and _INSECURE, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (which takes
// precedence over the generic endpoint), and OTEL_TRACES_EXPORTER=none or
// OTEL_SDK_DISABLED=true, which turn export off.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// instrumentationName names the tracer and meter Temporal SDK telemetry uses.
const instrumentationName = "temporal-sdk-go"

// Options configures Setup.
type Options struct {
	// ServiceName and ServiceVersion become the service.name and
	// service.version resource attributes (empty: left to the SDK defaults and
	// OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME).
	ServiceName    string
	ServiceVersion string
	// OTLPEndpoint is the OTLP/gRPC collector, "http://collector:4317" or
	// "collector:4317" (both plaintext) or "https://collector:4317" (TLS).
	// Empty disables export; spans are still created and propagated.
	OTLPEndpoint string
	// SpanExporter, when set, replaces the OTLP exporter (tests pass a
	// tracetest.InMemoryExporter). It sits behind the same batch processor,
	// so call TracerProvider().ForceFlush before reading it.
	SpanExporter sdktrace.SpanExporter
	// SampleRatio is the share of new root traces to record, in [0, 1];
	// child spans follow their parent's decision. 0 leaves the choice to
	// OTEL_TRACES_SAMPLER, whose default records everything.
	SampleRatio float64
}

// Telemetry owns the tracer and meter providers of one binary and the
// Prometheus registry its metrics are served from.
type Telemetry struct {
	tp           *sdktrace.TracerProvider
	mp           *sdkmetric.MeterProvider
	registry     *prometheus.Registry
	propagator   propagation.TextMapPropagator
	shutdownOnce sync.Once
	shutdownErr  error
}

// Setup builds the providers, registers the Go and process collectors and the
// OpenTelemetry metrics on a fresh registry, and installs the providers and the
// W3C TraceContext+Baggage propagator as the process-wide defaults.
func Setup(ctx context.Context, o Options) (*Telemetry, error) {
	if o.SampleRatio < 0 || o.SampleRatio > 1 {
		return nil, fmt.Errorf("telemetry: sample ratio %v is outside [0, 1]", o.SampleRatio)
	}
	res, err := newResource(o)
	if err != nil {
		return nil, err
	}

	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if o.SampleRatio > 0 {
		topts = append(topts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))))
	}
	exp := o.SpanExporter
	if exp == nil && o.OTLPEndpoint != "" && exportEnabled() {
		if exp, err = otlpExporter(ctx, o.OTLPEndpoint); err != nil {
			return nil, err
		}
	}
	if exp != nil {
		topts = append(topts, sdktrace.WithBatcher(exp))
	}

	registry := prometheus.NewRegistry()
	if err := registry.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: go collector: %w", err)
	}
	if err := registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: process collector: %w", err)
	}
	reader, err := otelprom.New(otelprom.WithRegisterer(registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}

	t := &Telemetry{
		tp:         sdktrace.NewTracerProvider(topts...),
		mp:         sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader)),
		registry:   registry,
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	otel.SetTracerProvider(t.tp)
	otel.SetMeterProvider(t.mp)
	otel.SetTextMapPropagator(t.propagator)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		slog.Default().Warn("opentelemetry", "error", err)
	}))
	return t, nil
}

// newResource describes the process: SDK defaults, OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME, then the service name and version from the options.
func newResource(o Options) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	if o.ServiceName != "" {
		attrs = append(attrs, semconv.ServiceName(o.ServiceName))
	}
	if o.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(o.ServiceVersion))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

// exportEnabled reports whether the standard environment switches leave span
// export on.
func exportEnabled() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	return !strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")), "none")
}

// otlpExporter dials endpoint lazily. A URL's scheme decides TLS (http:
// plaintext, https: TLS); a bare host:port is plaintext unless
// OTEL_EXPORTER_OTLP_(TRACES_)INSECURE says otherwise. A signal-specific
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over endpoint, as the specification
// requires; the exporter reads it (and the other OTEL_EXPORTER_OTLP_ variables)
// itself.
func otlpExporter(ctx context.Context, endpoint string) (sdktrace.SpanExporter, error) {
	var opts []otlptracegrpc.Option
	switch {
	case os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "":
	case strings.Contains(endpoint, "://"):
		opts = append(opts, otlptracegrpc.WithEndpointURL(endpoint))
	default:
		opts = append(opts, otlptracegrpc.WithEndpoint(endpoint))
		if os.Getenv("OTEL_EXPORTER_OTLP_TRACES_INSECURE") == "" && os.Getenv("OTEL_EXPORTER_OTLP_INSECURE") == "" {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("telemetry: otlp exporter: %w", err)
	}
	return exp, nil
}

// TracerProvider returns the SDK tracer provider (ForceFlush it in tests).
func (t *Telemetry) TracerProvider() *sdktrace.TracerProvider { return t.tp }

// MeterProvider returns the meter provider whose instruments appear on the
// registry.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.mp }

// Propagator returns the W3C TraceContext+Baggage propagator Setup installed.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

// Tracer returns a named tracer of the tracer provider.
func (t *Telemetry) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return t.tp.Tracer(name, opts...)
}

// Registry is the Prometheus registry served by MetricsHandler; register
// further collectors on it.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// MetricsHandler serves the registry in the Prometheus exposition format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{Registry: t.registry})
}

// TemporalInterceptor traces workflow starts, signals, queries, updates,
// workflows and activities, carrying the trace context (and baggage) through
// Temporal headers. Use it as a client interceptor; workers created from that
// client inherit it.
func (t *Telemetry) TemporalInterceptor() (interceptor.Interceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            t.tp.Tracer(instrumentationName),
		TextMapPropagator: t.propagator,
	})
}

// TemporalMetricsHandler reports Temporal SDK metrics through the meter
// provider, so they appear on the registry; counters are monotonic
// (Prometheus counters with a _total suffix).
func (t *Telemetry) TemporalMetricsHandler() client.MetricsHandler {
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                t.mp.Meter(instrumentationName),
		UseMonotonicCounters: true,
		OnError: func(err error) {
			slog.Default().Warn("temporal metrics", "error", err)
		},
	})
}

// Shutdown flushes pending spans and stops both providers. Later calls return
// the first call's result.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdownOnce.Do(func() {
		t.shutdownErr = errors.Join(t.tp.Shutdown(ctx), t.mp.Shutdown(ctx))
	})
	return t.shutdownErr
}
