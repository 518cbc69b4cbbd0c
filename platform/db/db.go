// Package db opens the service's database with gorm: PostgreSQL in production,
// SQLite (pure Go, no cgo) as the embedded default. The DSN scheme picks the
// driver, so the same binary runs on either:
//
//	postgres://user:pass@host:5432/db?sslmode=require
//	sqlite://.data/customer.db        (relative or absolute path)
//	sqlite://:memory:
//
// Code that needs dialect-specific SQL asks Dialect; everything else stays portable.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Config is the database part of every binary's configuration.
type Config struct {
	URL             string        `env:"DATABASE_URL" help:"postgres://… or sqlite://<path>; defaults to an SQLite file under .data/"`
	MaxOpenConns    int           `env:"DB_MAX_OPEN_CONNS" default:"20" help:"connection pool size (PostgreSQL; SQLite always uses 1 writer connection)"`
	MaxIdleConns    int           `env:"DB_MAX_IDLE_CONNS" default:"10" help:"idle connections kept open"`
	ConnMaxLifetime time.Duration `env:"DB_CONN_MAX_LIFETIME" default:"30m" help:"recycle connections after this long"`
	SlowQuery       time.Duration `env:"DB_SLOW_QUERY" default:"200ms" help:"log statements slower than this"`
}

// Dialect names.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Open connects, configures the pool and pings.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*gorm.DB, error) {
	dialector, dialect, err := dialectorFor(cfg.URL)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	gdb, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 slowLog{log: log, threshold: cfg.SlowQuery},
		TranslateError:         false,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One connection: SQLite has a single writer, and serialising in the pool
		// avoids "database is locked" under concurrent transactions.
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
	} else {
		sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
		sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
		sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("ping %s database: %w", dialect, err)
	}
	return gdb, nil
}

func dialectorFor(url string) (gorm.Dialector, string, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(url), Postgres, nil
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		query := ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path, query = path[:i], path[i+1:]
		}
		if path == "" {
			return nil, "", errors.New("DATABASE_URL: sqlite:// needs a file path or :memory:")
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, "", fmt.Errorf("create database directory: %w", err)
			}
		}
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
		if query != "" {
			dsn += "&" + query
		}
		return sqlite.Open(dsn), SQLite, nil
	case url == "":
		return nil, "", errors.New("DATABASE_URL is empty")
	default:
		return nil, "", fmt.Errorf("DATABASE_URL: unsupported scheme in %q (want postgres:// or sqlite://)", redact(url))
	}
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i >= 0 {
		if j := strings.Index(url, "://"); j >= 0 && j < i {
			return url[:j+3] + "***" + url[i:]
		}
	}
	return url
}

// Dialect reports which database gdb talks to.
func Dialect(gdb *gorm.DB) string {
	if gdb.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed") || errors.Is(err, gorm.ErrDuplicatedKey)
}

// IsSerializationFailure reports a retryable conflict (PostgreSQL 40001/40P01, SQLite busy).
func IsSerializationFailure(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY")
}

// slowLog logs statements slower than threshold. Failed statements are not
// logged here: the error goes back to the caller, which decides whether it is
// expected (a duplicate refused by a unique index) or an internal failure
// (logged once, with the request's trace id, by the HTTP layer).
type slowLog struct {
	log       *slog.Logger
	threshold time.Duration
}

func (l slowLog) LogMode(logger.LogLevel) logger.Interface { return l }
func (l slowLog) Info(ctx context.Context, msg string, args ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(msg, args...))
}
func (l slowLog) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}
func (l slowLog) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

func (l slowLog) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	if l.threshold <= 0 {
		return
	}
	if d := time.Since(begin); d > l.threshold {
		sql, rows := fc()
		if n := len(sql); n > maxLoggedSQL {
			sql = fmt.Sprintf("%s… (%d characters)", strings.ToValidUTF8(sql[:maxLoggedSQL], ""), n)
		}
		l.log.WarnContext(ctx, "slow SQL statement", "duration_ms", d.Milliseconds(), "rows", rows, "sql", sql)
	}
}

// maxLoggedSQL bounds a logged statement (a batch insert's text is long).
const maxLoggedSQL = 2000

// ParamsFilter keeps bound values out of the log: gorm asks it before it
// renders a statement for Trace, so the slow-statement log shows the
// statement with its placeholders, never the values (names, emails, phone
// numbers: personal data).
func (slowLog) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Statements run by Scan (Raw(…).Scan, Table(…).Scan) reach Trace through
// gorm's trace recorder, which renders them with its own params filter, not
// the logger's: without this, their bound values would be logged.
func init() {
	logger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) { return sql, nil }
}

// Ping checks the connection, for readiness probes.
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}
