// Package migrate applies a service's versioned schema migrations. Migrations are
// Go functions over gorm so one list serves PostgreSQL and SQLite; each runs in its
// own transaction and is recorded in schema_migrations. On PostgreSQL a session
// advisory lock makes concurrent replicas (or a Helm hook racing a pod) apply each
// migration exactly once.
//
// Rules for authors: never edit a migration that has shipped — add a new one;
// keep each one backward compatible with the previous release's binary (expand,
// then contract in a later release) so rolling upgrades and rollbacks are safe.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
)

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB) error
}

type schemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"size:200;not null"`
	AppliedAt time.Time `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// Status describes the database against the binary's migrations.
type Status struct {
	Applied []int
	Pending []int
	// Unknown lists versions present in the database but not in this binary: the
	// database was migrated by a newer release (normal during a rollback).
	Unknown []int
}

// Run applies every pending migration in version order and returns the versions it applied.
func Run(ctx context.Context, gdb *gorm.DB, service string, migrations []Migration, log *slog.Logger) ([]int, error) {
	if err := validate(migrations); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	var applied []int
	err := gdb.WithContext(ctx).Connection(func(session *gorm.DB) error {
		// Every statement starts from a fresh session: gorm sessions carry the
		// previous statement's table otherwise.
		conn := session.Session(&gorm.Session{NewDB: true})
		if db.Dialect(conn) == db.Postgres {
			key := lockKey(service)
			if err := conn.Exec("SELECT pg_advisory_lock(?)", key).Error; err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
			defer conn.Exec("SELECT pg_advisory_unlock(?)", key)
		}
		if err := conn.AutoMigrate(&schemaMigration{}); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var rows []schemaMigration
		if err := conn.Find(&rows).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		recorded := make(map[int]string, len(rows))
		for _, r := range rows {
			recorded[r.Version] = r.Name
		}
		for _, m := range sorted(migrations) {
			// Versions are per service: a database (or PostgreSQL schema)
			// that recorded another service's migrations would silently skip
			// this one's. Refuse instead.
			if name, ok := recorded[m.Version]; ok && name != m.Name {
				return fmt.Errorf("schema_migrations records version %d as %q, but %s's version %d is %q: this database belongs to another service; give each service its own database or schema", m.Version, name, service, m.Version, m.Name)
			}
		}
		for _, m := range sorted(migrations) {
			if _, ok := recorded[m.Version]; ok {
				continue
			}
			start := time.Now()
			err := conn.Transaction(func(tx *gorm.DB) error {
				if err := m.Up(tx.Session(&gorm.Session{NewDB: true})); err != nil {
					return err
				}
				return tx.Session(&gorm.Session{NewDB: true}).Create(&schemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
			})
			if err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
			log.InfoContext(ctx, "migration applied", "service", service, "version", m.Version, "name", m.Name, "duration_ms", time.Since(start).Milliseconds())
			applied = append(applied, m.Version)
		}
		return nil
	})
	return applied, err
}

// Inspect reports applied, pending and unknown versions without changing anything.
func Inspect(ctx context.Context, gdb *gorm.DB, migrations []Migration) (Status, error) {
	var st Status
	conn := gdb.WithContext(ctx)
	if !conn.Migrator().HasTable(&schemaMigration{}) {
		for _, m := range sorted(migrations) {
			st.Pending = append(st.Pending, m.Version)
		}
		return st, nil
	}
	done, err := appliedVersions(conn)
	if err != nil {
		return st, err
	}
	known := map[int]bool{}
	for _, m := range sorted(migrations) {
		known[m.Version] = true
		if done[m.Version] {
			st.Applied = append(st.Applied, m.Version)
		} else {
			st.Pending = append(st.Pending, m.Version)
		}
	}
	for v := range done {
		if !known[v] {
			st.Unknown = append(st.Unknown, v)
		}
	}
	sort.Ints(st.Unknown)
	return st, nil
}

func appliedVersions(conn *gorm.DB) (map[int]bool, error) {
	var rows []schemaMigration
	if err := conn.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	done := make(map[int]bool, len(rows))
	for _, r := range rows {
		done[r.Version] = true
	}
	return done, nil
}

func validate(ms []Migration) error {
	seen := map[int]bool{}
	for _, m := range ms {
		if m.Version <= 0 || m.Name == "" || m.Up == nil {
			return fmt.Errorf("migration %d %q: version > 0, name and Up are required", m.Version, m.Name)
		}
		if seen[m.Version] {
			return fmt.Errorf("migration version %d is declared twice", m.Version)
		}
		seen[m.Version] = true
	}
	if len(ms) == 0 {
		return errors.New("no migrations declared")
	}
	return nil
}

func sorted(ms []Migration) []Migration {
	out := append([]Migration(nil), ms...)
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

func lockKey(service string) int64 {
	h := fnv.New64a()
	h.Write([]byte("closeloop-migrate:" + service))
	return int64(h.Sum64() >> 1)
}

// SQL returns a migration step that runs portable DDL statements in order. The
// only dialect difference it bridges is TIMESTAMPTZ, written as TIMESTAMP on
// SQLite so the pure-Go driver returns time.Time values.
func SQL(stmts ...string) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		for _, s := range stmts {
			if db.Dialect(tx) == db.SQLite {
				s = strings.ReplaceAll(s, "TIMESTAMPTZ", "TIMESTAMP")
			}
			if err := tx.Exec(s).Error; err != nil {
				return err
			}
		}
		return nil
	}
}
