// Package telemetry sets up OpenTelemetry for a binary: a tracer provider that
// exports over OTLP/gRPC when OTEL_EXPORTER_OTLP_ENDPOINT is set (and still
// creates real trace ids otherwise, so logs carry them), W3C trace-context
// propagation, and a meter provider exposed in Prometheus format on the binary's
// own registry — together with Go runtime, process, database and Temporal SDK
// metrics — for GET /metrics.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

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
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Options configures Setup.
type Options struct {
	ServiceName    string
	ServiceVersion string
	// OTLPEndpoint is the OTLP/gRPC collector ("http://collector:4317" or
	// "collector:4317"); empty disables export.
	OTLPEndpoint string
	// SpanExporter overrides the exporter (tests use an in-memory one); it is
	// attached with a synchronous processor so spans are visible at once.
	SpanExporter sdktrace.SpanExporter
	// SampleRatio of root traces to keep (0 or 1: all).
	SampleRatio float64
}

// Telemetry owns the providers of one binary.
type Telemetry struct {
	tp       *sdktrace.TracerProvider
	mp       *sdkmetric.MeterProvider
	registry *prometheus.Registry
}

// Setup builds the providers and installs them (and the propagator) globally.
func Setup(ctx context.Context, o Options) (*Telemetry, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", o.ServiceName),
		attribute.String("service.version", o.ServiceVersion),
	))
	if err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	sampler := sdktrace.ParentBased(sdktrace.AlwaysSample())
	if o.SampleRatio > 0 && o.SampleRatio < 1 {
		sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))
	}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler)}
	switch {
	case o.SpanExporter != nil:
		topts = append(topts, sdktrace.WithSyncer(o.SpanExporter))
	case o.OTLPEndpoint != "":
		exp, err := otlpExporter(ctx, o.OTLPEndpoint)
		if err != nil {
			return nil, err
		}
		topts = append(topts, sdktrace.WithBatcher(exp))
	}
	t := &Telemetry{tp: sdktrace.NewTracerProvider(topts...), registry: prometheus.NewRegistry()}
	if err := t.registry.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := t.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	promExp, err := otelprom.New(otelprom.WithRegisterer(t.registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(promExp))
	otel.SetTracerProvider(t.tp)
	otel.SetMeterProvider(t.mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { slog.Default().Warn("opentelemetry", "error", err) }))
	return t, nil
}

func otlpExporter(ctx context.Context, endpoint string) (sdktrace.SpanExporter, error) {
	opts := []otlptracegrpc.Option{}
	switch {
	case strings.HasPrefix(endpoint, "http://"):
		opts = append(opts, otlptracegrpc.WithEndpoint(strings.TrimPrefix(endpoint, "http://")), otlptracegrpc.WithInsecure())
	case strings.HasPrefix(endpoint, "https://"):
		opts = append(opts, otlptracegrpc.WithEndpoint(strings.TrimPrefix(endpoint, "https://")))
	default:
		opts = append(opts, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	return exp, nil
}

// TracerProvider returns the SDK tracer provider (ForceFlush in tests).
func (t *Telemetry) TracerProvider() *sdktrace.TracerProvider { return t.tp }

// MeterProvider returns the meter provider.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.mp }

// Registry is the Prometheus registry served at /metrics.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// MetricsHandler serves the registry in Prometheus format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{Registry: t.registry})
}

// Tracer returns a named tracer.
func (t *Telemetry) Tracer(name string) trace.Tracer { return t.tp.Tracer(name) }

// TemporalInterceptor traces workflow starts, workflows and activities, carrying
// the trace context through Temporal headers.
func (t *Telemetry) TemporalInterceptor() (interceptor.Interceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            t.tp.Tracer("temporal-sdk-go"),
		TextMapPropagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	})
}

// TemporalMetricsHandler reports Temporal SDK metrics through the meter provider.
func (t *Telemetry) TemporalMetricsHandler() client.MetricsHandler {
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:   t.mp.Meter("temporal-sdk-go"),
		OnError: func(err error) { slog.Default().Warn("temporal metrics", "error", err) },
	})
}

// Shutdown flushes and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.tp.Shutdown(ctx), t.mp.Shutdown(ctx))
}
