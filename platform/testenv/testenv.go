// Package testenv gives tests in every Closeloop module real infrastructure
// instead of mocks:
//
//   - Postgres: a fresh, uniquely named PostgreSQL database per call, dropped
//     when the test ends;
//   - SQLite: a database file in the test's temp dir;
//   - Temporal: one Temporal dev server per test process, or the running
//     server named by CLOSELOOP_TEMPORAL_ADDRESS (temporal_existing.go);
//   - Mailpit: an SMTP catcher per call, with a client of its REST API
//     (MailpitClient) to read back what was sent;
//   - StartPostgresServer and StartTemporalServer: a PostgreSQL cluster and
//     a Temporal dev server (on a database file) of one test's own, for fault
//     tests that crash them and start them again.
//
// PostgreSQL is found in this order: the admin URL in
// CLOSELOOP_TEST_POSTGRES_URL; a server at 127.0.0.1:5432 (user postgres,
// trust auth); a throwaway cluster that testenv starts from the machine's
// PostgreSQL server binaries (/usr/lib/postgresql/*/bin or PATH) in a temp
// dir on a free port, once per test process. When the tests run as root the
// throwaway cluster runs as the postgres OS user, since PostgreSQL refuses to
// run as root.
//
// The Temporal dev server is the CLI at CLOSELOOP_TEMPORAL_CLI, else
// bin/temporal at the repository root (built by `make tools`); Mailpit
// likewise is CLOSELOOP_MAILPIT, else bin/mailpit.
//
// Nothing is skipped: without PostgreSQL, the Temporal CLI or Mailpit the
// test fails and says how to get them.
//
// Packages whose tests use Postgres or Temporal must call Main from TestMain,
// so that what testenv started is stopped when the package's tests end:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// As a safety net for a forgotten Main, a crash or a `go test -timeout` panic,
// each process testenv starts is also watched by a small shell loop that
// stops it once the test process is gone.
package testenv

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	stopMu   sync.Mutex
	stoppers []func()
)

// Main runs the package's tests, stops the PostgreSQL cluster and Temporal
// dev server that testenv started, and exits with the tests' status. Call it
// from TestMain in every package that uses Postgres or Temporal.
func Main(m *testing.M) {
	code := m.Run()
	stopAll()
	os.Exit(code)
}

// atExit registers f to run from Main after the tests, in reverse order of
// registration.
func atExit(f func()) {
	stopMu.Lock()
	stoppers = append(stoppers, f)
	stopMu.Unlock()
}

func stopAll() {
	stopMu.Lock()
	fs := stoppers
	stoppers = nil
	stopMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// SQLite returns the DSN of a new SQLite database file in the test's temp
// dir, sqlite://<dir>/test.db, as platform/db understands it. The file is
// created on first open and removed with the temp dir.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
}
