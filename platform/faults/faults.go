//go:build !faults

// Package faults marks the points where the kill tests stop a process: in
// the middle of an operation that must survive it (a message sent but not
// yet recorded, …). In a normal build Point does nothing and costs nothing;
// built with -tags faults (the tests that start a service binary do), the
// process kills itself with SIGKILL at the point named by $CLOSELOOP_FAULT
// — no deferred function, no graceful shutdown, as a crash or an OOM kill.
package faults

// Point is a named fault point: nothing in a normal build.
func Point(string) {}
