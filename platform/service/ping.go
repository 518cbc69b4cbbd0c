package service

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// PingResult is what a service's Ping activity reports: proof that its worker
// polls its task queue and reaches its database at the expected schema.
type PingResult struct {
	Service       string    `json:"service"`
	SchemaVersion int       `json:"schema_version"`
	Pending       []int     `json:"pending_migrations"`
	DatabaseOK    bool      `json:"database_ok"`
	At            time.Time `json:"at"`
}

// PingActivityName is the activity every service registers on its own task
// queue as "<service>.Ping"; the worker's SystemCheck workflow calls them all.
func PingActivityName(service string) string { return service + ".Ping" }

// RegisterPing registers the service's Ping activity.
func RegisterPing(r worker.Registry, name string, gdb *gorm.DB, migrations []migrate.Migration) {
	r.RegisterActivityWithOptions(func(ctx context.Context) (PingResult, error) {
		res := PingResult{Service: name, Pending: []int{}, At: time.Now().UTC()}
		if gdb == nil {
			return res, nil
		}
		res.DatabaseOK = db.Ping(ctx, gdb) == nil
		if st, err := migrate.Inspect(ctx, gdb, migrations); err == nil {
			if n := len(st.Applied); n > 0 {
				res.SchemaVersion = st.Applied[n-1]
			}
			if st.Pending != nil {
				res.Pending = st.Pending
			}
		}
		return res, nil
	}, activity.RegisterOptions{Name: PingActivityName(name)})
}
