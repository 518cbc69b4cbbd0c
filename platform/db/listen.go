package db

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// Notify sends payload on channel when tx commits (PostgreSQL's pg_notify:
// every replica listening on the channel hears it, none if tx rolls back).
// On SQLite, a single process's database, it does nothing: there is no
// other replica to tell.
func Notify(tx *gorm.DB, channel, payload string) error {
	if Dialect(tx) != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_notify(?, ?)", channel, payload).Error
}

// Listen calls on with the payload of every notification sent on channel
// (Notify), from any replica, until ctx ends. It holds one connection of
// gdb's pool for it; when the connection fails it logs, waits (1 s, doubling
// up to 30 s while it keeps failing at once) and listens again — notifications sent meanwhile are missed, so
// a listener is a way to learn sooner, never the only one. On SQLite it
// only waits for ctx.
func Listen(ctx context.Context, gdb *gorm.DB, channel string, on func(payload string), log *slog.Logger) error {
	if Dialect(gdb) != Postgres {
		<-ctx.Done()
		return nil
	}
	backoff := time.Second
	for {
		began := time.Now()
		err := listenOnce(ctx, gdb, channel, on)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(began) > time.Minute { // it listened a while: a new failure, not the same one
			backoff = time.Second
		}
		log.Warn("database: listening for notifications failed; listening again", "channel", channel, "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// listenOnce listens on one connection until it fails or ctx ends.
func listenOnce(ctx context.Context, gdb *gorm.DB, channel string, on func(string)) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: a %T is not a pgx connection", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+quoteIdent(channel)); err != nil {
			return err
		}
		// Leave the pooled connection as it was found, should it be reused.
		defer pc.Exec(context.WithoutCancel(ctx), "UNLISTEN "+quoteIdent(channel)) //nolint:errcheck
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			on(n.Payload)
		}
	})
}

// quoteIdent quotes a channel name as an SQL identifier.
func quoteIdent(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}
