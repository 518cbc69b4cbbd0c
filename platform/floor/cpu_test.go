package floor

import (
	"os"
	"runtime"
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
