package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Metrics are served on a listener of their own (METRICS_ADDR), never on the
// HTTP port: whoever reaches the API or the console (the internet, through an
// Ingress) does not read the metrics — route names, request rates, pool sizes,
// queue depths — and the metrics port can be opened to the monitoring system
// alone (the chart's NetworkPolicy does).
//
// METRICS_ADDR defaults to the HTTP address with its port plus
// MetricsPortOffset (HTTP_ADDR=:8081 → :9081, 127.0.0.1:8080 → 127.0.0.1:9080;
// port 0, a free port, stays 0); "off" serves no metrics at all.

// MetricsPortOffset is what the default METRICS_ADDR adds to the HTTP port.
const MetricsPortOffset = 1000

// MetricsOff is the METRICS_ADDR that serves no metrics.
const MetricsOff = "off"

// resolveMetricsAddr returns the address the metrics listener binds: metrics
// when set, else httpAddr's port plus MetricsPortOffset. It refuses an
// address that is not host:port and one on the HTTP port.
func resolveMetricsAddr(metrics, httpAddr string) (string, error) {
	if metrics == MetricsOff {
		return metrics, nil
	}
	hHost, hPort := "", 0 // no HTTP address (a spec without a default): a free port
	if httpAddr != "" {
		var err error
		if hHost, hPort, err = splitPort(httpAddr); err != nil {
			return "", fmt.Errorf("HTTP_ADDR=%q: %w", httpAddr, err)
		}
	}
	if metrics == "" {
		p := hPort
		if p != 0 {
			p += MetricsPortOffset
		}
		if p > 65535 {
			return "", fmt.Errorf("HTTP_ADDR=%q: its port + %d (the default METRICS_ADDR) is past 65535: set METRICS_ADDR", httpAddr, MetricsPortOffset)
		}
		return net.JoinHostPort(hHost, strconv.Itoa(p)), nil
	}
	mHost, mPort, err := splitPort(metrics)
	if err != nil {
		return "", fmt.Errorf("METRICS_ADDR=%q: %w (or %q for no metrics)", metrics, err, MetricsOff)
	}
	if mPort != 0 && mPort == hPort && (mHost == hHost || mHost == "" || hHost == "") {
		return "", fmt.Errorf("METRICS_ADDR=%q: metrics need a port of their own, not the HTTP port (HTTP_ADDR=%q)", metrics, httpAddr)
	}
	return metrics, nil
}

func splitPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New("want host:port, e.g. :9090 or 127.0.0.1:9090")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return host, p, nil
}

// metricsListener serves GET /metrics on its own address.
type metricsListener struct {
	addr    string // "off": none
	handler http.Handler
	bound   atomic.Pointer[net.Addr]
}

func newMetricsListener(addr string, h http.Handler) *metricsListener {
	return &metricsListener{addr: addr, handler: h}
}

// MetricsAddr is the address the metrics listener bound once Run listens
// (before Addr reports the HTTP address); nil before, or with METRICS_ADDR=off.
func (a *App) MetricsAddr() net.Addr {
	if a.metrics == nil {
		return nil
	}
	if p := a.metrics.bound.Load(); p != nil {
		return *p
	}
	return nil
}

// start listens and serves in the background; stop closes the listener
// (called once the HTTP server has drained, so metrics are scraped while it
// drains).
func (m *metricsListener) start(log *slog.Logger) (stop func(), err error) {
	if m == nil || m.addr == MetricsOff {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen %s: %w", m.addr, err)
	}
	bound := ln.Addr()
	m.bound.Store(&bound)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "no-store")
			mux.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "addr", bound.String(), "error", err)
		}
	}()
	log.Info("serving metrics", "addr", bound.String(), "path", "/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}
