// Package logging builds the JSON slog logger every binary uses. Records logged
// with a context (logger.InfoContext(ctx, ...)) carry the active OpenTelemetry
// span's trace_id and span_id as top-level fields, so a log line leads straight
// to its trace.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Field names the logger adds.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
	ServiceKey = "service"
)

// New returns a JSON logger at level (see ParseLevel) writing to w.
func New(level string, w io.Writer) *slog.Logger {
	return slog.New(NewHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: ParseLevel(level)})))
}

// NewHandler wraps h so that records handled with a context holding a valid
// span context get trace_id and span_id attributes, at the top level of the
// record even when groups are open.
func NewHandler(h slog.Handler) slog.Handler { return &traceHandler{base: h, inner: h} }

// ParseLevel maps "debug", "info", "warn"/"warning" and "error" (any case) to a
// slog.Level; anything else is info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Service is the attribute naming the service a record comes from.
func Service(name string) slog.Attr { return slog.String(ServiceKey, name) }

// WithService returns l with every record carrying the service attribute.
func WithService(l *slog.Logger, name string) *slog.Logger { return l.With(Service(name)) }

// traceHandler adds the span's ids to records. inner is base with every
// WithAttrs and WithGroup applied; ops remembers them so that, once a group is
// open, the ids can be attached to base (outside the groups) and the chain
// replayed on top.
type traceHandler struct {
	base    slog.Handler
	inner   slog.Handler
	ops     []op
	grouped bool
}

// op is one WithAttrs (attrs) or WithGroup (group) call.
type op struct {
	group string
	attrs []slog.Attr
}

func (h *traceHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.inner.Handle(ctx, r)
	}
	ids := []slog.Attr{slog.String(TraceIDKey, sc.TraceID().String()), slog.String(SpanIDKey, sc.SpanID().String())}
	if !h.grouped {
		r.AddAttrs(ids...)
		return h.inner.Handle(ctx, r)
	}
	hh := h.base.WithAttrs(ids)
	for _, o := range h.ops {
		if o.attrs != nil {
			hh = hh.WithAttrs(o.attrs)
		} else {
			hh = hh.WithGroup(o.group)
		}
	}
	return hh.Handle(ctx, r)
}

func (h *traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(op{attrs: attrs}, h.inner.WithAttrs(attrs))
}

func (h *traceHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(op{group: name}, h.inner.WithGroup(name))
}

func (h *traceHandler) with(o op, inner slog.Handler) *traceHandler {
	n := &traceHandler{base: h.base, inner: inner, grouped: h.grouped || o.group != ""}
	if !n.grouped {
		// No group yet: ids can go on the record itself, so base can absorb
		// the attributes and nothing needs replaying.
		n.base = inner
		return n
	}
	n.ops = append(append(make([]op, 0, len(h.ops)+1), h.ops...), o)
	return n
}
