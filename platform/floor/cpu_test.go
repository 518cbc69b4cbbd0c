package floor

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 250 and stime 50 ticks.
	line := "4242 (temporal (dev) x) S 1 4242 4242 0 -1 4194560 9053 0 0 0 250 50 0 0 20 0 12 0 3185 1353896128 14598 18446744073709551615\n"
	if got, ok := parseStatCPU(line); !ok || got != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", got, ok)
	}
	for _, bad := range []string{"", "4242 (x S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 9053 0 0 0 u s 0"} {
		if _, ok := parseStatCPU(bad); ok {
			t.Errorf("parseStatCPU(%q) ok", bad)
		}
	}
}

func TestProcessCPUOfThisProcess(t *testing.T) {
	if _, ok := processCPU(0); ok {
		t.Fatal("pid 0 has no CPU time to read")
	}
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	before, ok := processCPU(os.Getpid())
	if !ok {
		t.Fatal("cannot read this process's CPU time from /proc")
	}
	// Spin until a clock tick shows (the machine may be busy: give it time).
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
		if after, _ := processCPU(os.Getpid()); after > before {
			return
		}
	}
	t.Fatalf("CPU time did not grow over 10 s of spinning from %v", before)
}

func TestClosedReportsCPUPerOperation(t *testing.T) {
	spin := func(context.Context, int, int) error {
		for end := time.Now().Add(5 * time.Millisecond); time.Now().Before(end); {
		}
		return nil
	}
	// This process stands in for the server: both figures count its spinning.
	s := Closed(context.Background(), Options{Clients: 1, Warmup: 50 * time.Millisecond, Duration: 500 * time.Millisecond, ServerPID: os.Getpid()}, nil, spin)
	if s.Ops() == 0 {
		t.Fatal("no operation completed")
	}
	if _, readable := processCPU(os.Getpid()); !readable {
		// Without /proc (not Linux) neither figure is known, and neither is shown.
		if s.ServerCPU != 0 || s.ProcessCPU != 0 || strings.Contains(s.Summary(), "CPU") {
			t.Fatalf("CPU figures without /proc: %v, %v: %s", s.ServerCPU, s.ProcessCPU, s.Summary())
		}
		return
	}
	if s.ServerCPU <= 0 || s.ProcessCPU <= 0 {
		t.Fatalf("%d ops, server CPU %v/op, process CPU %v/op: want both measured", s.Ops(), s.ServerCPU, s.ProcessCPU)
	}
	// 5 ms of spinning an operation, counted in 10 ms ticks over 100 of them.
	if s.ProcessCPU > 50*time.Millisecond {
		t.Errorf("process CPU %v/op for 5 ms of work", s.ProcessCPU)
	}
	if sum := s.Summary(); !strings.Contains(sum, "Temporal server CPU") || !strings.Contains(sum, "this process's CPU") {
		t.Errorf("summary without the CPU figures: %s", sum)
	}
	// No server named: its figure is not known, and not shown.
	s = Closed(context.Background(), Options{Clients: 1, Duration: 100 * time.Millisecond}, nil, spin)
	if s.ServerCPU != 0 || strings.Contains(s.Summary(), "Temporal server CPU") {
		t.Errorf("server CPU %v/op without a server: %s", s.ServerCPU, s.Summary())
	}
}
