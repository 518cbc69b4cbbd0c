package stacktest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Helpers the benchmarks of several services share.

// EnvInt is the positive integer in the environment variable name, else def.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// HeapInUse is this process's Go heap in use, after a garbage collection.
func HeapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// MiB formats a byte count in mebibytes.
func MiB(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }

// ProcRSS is the resident memory of process pid (0 when pid is not positive
// or its /proc entry cannot be read).
func ProcRSS(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
