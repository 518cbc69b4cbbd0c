package floor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// processCPU is the CPU time (user and system) process pid has used so far,
// from /proc; false where there is no /proc or no such process.
func processCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(raw))
}

// parseStatCPU reads utime and stime, the 14th and 15th fields of a
// /proc/<pid>/stat line; the 2nd, the command name, is in parentheses and may
// hold spaces.
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}

// cpuMeter measures the CPU time the Temporal server (server: its pid, 0
// when unknown) and this process spend from the measured window's start
// (it starts counting then, in the background) until done.
type cpuMeter struct {
	server int
	start  chan [2]time.Duration
}

func meterFrom(window time.Time, server int) *cpuMeter {
	m := &cpuMeter{server: server, start: make(chan [2]time.Duration, 1)}
	go func() {
		time.Sleep(time.Until(window))
		m.start <- m.read()
	}()
	return m
}

func (m *cpuMeter) read() [2]time.Duration {
	s, _ := processCPU(m.server)
	p, _ := processCPU(os.Getpid())
	return [2]time.Duration{s, p}
}

// perOp is the server's and this process's CPU time per operation since the
// window's start (0 for one that cannot be read, or with no operation).
func (m *cpuMeter) perOp(ops int) (server, process time.Duration) {
	end := m.read()
	start := <-m.start
	if ops <= 0 {
		return 0, 0
	}
	if m.server > 0 && end[0] > 0 {
		server = (end[0] - start[0]) / time.Duration(ops)
	}
	if end[1] > 0 {
		process = (end[1] - start[1]) / time.Duration(ops)
	}
	return server, process
}
