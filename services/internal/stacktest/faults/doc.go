// Package faults holds the fault tests of the stack (issue 20): real
// services, the workflow worker, PostgreSQL and the Temporal dev server
// killed or crashed in the middle of their work, and what must hold across
// it — a create retried with its Idempotency-Key makes one record, an
// answered write survives a database crash, each escalation step happens
// once across a Temporal crash, each follow-up moves to a new policy version
// once across a killed worker.
//
// Everything is in the package's tests. A test that kills a service or the
// worker runs it as a child process: this test binary again, which its
// TestMain turns into the service (see main_test.go), armed to SIGKILL itself
// at a named fault point (platform/faults) when the test asks. Each test
// says how long it takes; those of a few minutes at most run in make test,
// longer ones only with CLOSELOOP_CHAOS=1 (make chaos). docs/operations.md
// ("Faults") says what operators can expect from each fault.
package faults
