// Package adapters stores customers, contacts, the audit trail and the user
// directory with gorm; every multi-row change happens inside a transaction
// owned by this package. The schema is created by the versioned migrations in
// internal/schema — plain SQL that runs unchanged on PostgreSQL and SQLite
// (timestamps are TIMESTAMPTZ on PostgreSQL and TIMESTAMP on SQLite).
package adapters
