// Package servicetest runs a service binary's app in-process for tests: built
// from its Spec with the given environment, serving on a free port, stopped
// (gracefully, with its error checked) when the test ends.
package servicetest

import (
	"context"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/service"
)

// Running is a started app.
type Running struct {
	App  *service.App
	Base string // http://127.0.0.1:port
	stop func()
}

// Stop stops the app now (it is also stopped at test cleanup; stopping twice is fine).
func (r *Running) Stop() { r.stop() }

// Start sets env (HTTP_ADDR defaults to a free port), builds the app and runs it
// until Stop or the end of the test.
func Start(t testing.TB, spec service.Spec, env map[string]string, opts service.Options) *Running {
	t.Helper()
	if _, ok := env["HTTP_ADDR"]; !ok {
		t.Setenv("HTTP_ADDR", "127.0.0.1:0")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := service.LoadConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := service.Build(ctx, spec, cfg, opts)
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", spec.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	r := &Running{App: app}
	select {
	case addr := <-app.Addr():
		r.Base = "http://" + addr.String()
	case err := <-done:
		cancel()
		app.Close()
		t.Fatalf("%s stopped before listening: %v", spec.Name, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("%s did not start listening", spec.Name)
	}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s stopped with %v", spec.Name, err)
		}
		app.Close()
	}
	t.Cleanup(r.stop)
	return r
}
