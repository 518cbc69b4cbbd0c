package testenv

import "testing"

// Backend is one of the databases the services run on: Name names the
// subtest, DSN creates a fresh database of its kind and returns its URL.
type Backend struct {
	Name string
	DSN  func(testing.TB) string
}

// Backends lists the databases every storage-touching test runs on:
// PostgreSQL, the production database, and SQLite, the embedded default.
var Backends = []Backend{
	{"postgres", Postgres},
	{"sqlite", SQLite},
}

// OnEachBackend runs test as one subtest per backend, each with a fresh
// database's URL.
func OnEachBackend(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) { test(t, b.DSN(t)) })
	}
}
