package db

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// TransactionAttempts is how many times Transaction runs a transaction that
// PostgreSQL chose as a deadlock's victim or refused for a serialization
// failure (SQLite: the database was locked).
const TransactionAttempts = 4

// Transaction runs fn in a transaction and, when the database aborts it for
// a conflict with another one (IsSerializationFailure: nothing of it was
// committed), runs it again after a short, growing pause — up to
// TransactionAttempts times in all; any other error, or the context ending,
// returns at once. fn must do nothing outside the transaction that cannot
// be done twice.
func Transaction(ctx context.Context, gdb *gorm.DB, fn func(tx *gorm.DB) error) error {
	for attempt := 1; ; attempt++ {
		err := gdb.WithContext(ctx).Transaction(fn)
		if err == nil || !IsSerializationFailure(err) || attempt == TransactionAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
		}
	}
}
