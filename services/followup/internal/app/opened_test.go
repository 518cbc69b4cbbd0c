package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/testenv"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// opener is a fake app.Workflows whose started workflow stores its
// follow-up's record a moment later, through the service, as the
// resolve-and-open activity does in this process.
type opener struct {
	signals
	svc *app.FollowUps
}

func (o *opener) StartFollowUp(_ context.Context, spec *followupv1.FollowUpSpec) error {
	go func() {
		time.Sleep(30 * time.Millisecond)
		// o.svc: this replica's service, or another's on the same database.
		_ = o.svc.Record(context.Background(), domain.Opening{ID: spec.GetId(), Kind: spec.GetKind(), CustomerID: spec.GetCustomerId(),
			OwnerID: spec.GetOwnerId(), Team: spec.GetTeam(), Territory: spec.GetTerritory(), Title: spec.GetTitle(), OpenedBy: spec.GetOpenedBy(),
			AnchorAt: spec.GetAnchorAt().AsTime(), DueAt: spec.GetAnchorAt().AsTime().Add(4 * time.Hour),
			Policy: policy.LeadFirstContactSLA, PolicyVersion: 1, WorkflowID: "wf-" + spec.GetId()})
	}()
	return nil
}

// A request that opens a follow-up answers as soon as this process has
// stored the record, not at its next look at the table: with the look an
// hour apart it still answers at once, with the record.
func TestOpenAnswersOnceTheRecordIsStoredHere(t *testing.T) {
	gdb := freshDB(t)
	pol := newPolicies(gdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := pol.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	wf := &opener{}
	customers := func(context.Context, string, auth.Scope) (app.Customer, error) {
		return app.Customer{OwnerID: "rep-ana", Team: "north", Region: "north"}, nil
	}
	svc := app.NewFollowUps(store.NewFollowUps(gdb), pol, wf, customers, nil, app.Links{})
	wf.svc = svc
	app.SetOpenPoll(svc, time.Hour)
	start := time.Now()
	v, ok, err := svc.Open(as("rep-ana", auth.RoleRep), app.OpenInput{Kind: policy.KindFirstContact, CustomerID: "c-1", Title: "call back"}, "key-1", 20*time.Second)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || v.State != "open" || took > 10*time.Second {
		t.Fatalf("answered %q (stored: %v) after %v, want the stored record at once", v.State, ok, took)
	}
}

// A request that opens a follow-up answers as soon as another replica —
// another process on the same PostgreSQL database, whose worker ran the
// activity — has stored the record: the database's notification tells this
// replica, with its look at the table an hour apart.
func TestOpenAnswersOnceAnotherReplicaStoredTheRecord(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dsn := testenv.Postgres(t)
	cfg := db.Config{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 4, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}
	here, there := migrated(t, cfg), migrated(t, cfg)
	pol := newPolicies(here, log)
	if err := pol.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	customers := func(context.Context, string, auth.Scope) (app.Customer, error) {
		return app.Customer{OwnerID: "rep-ana", Team: "north", Region: "north"}, nil
	}
	other := app.NewFollowUps(store.NewFollowUps(there), newPolicies(there, log), nil, customers, nil, app.Links{})
	wf := &opener{svc: other}
	svc := app.NewFollowUps(store.NewFollowUps(here), pol, wf, customers, nil, app.Links{})
	app.SetOpenPoll(svc, time.Hour)
	heard := make(chan string, 16)
	go db.Listen(ctx, here, store.StoredChannel, func(id string) { heard <- id; svc.Stored(id) }, log) //nolint:errcheck
	// Until the listener listens, nothing it could miss is sent: probe it.
	for probing := true; probing; {
		if err := db.Notify(there, store.StoredChannel, "probe"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-heard:
			probing = false
		case <-time.After(100 * time.Millisecond):
		}
	}
	start := time.Now()
	v, ok, err := svc.Open(as("rep-ana", auth.RoleRep), app.OpenInput{Kind: policy.KindFirstContact, CustomerID: "c-1", Title: "call back"}, "key-1", 20*time.Second)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || v.State != "open" || took > 10*time.Second {
		t.Fatalf("answered %q (stored: %v) after %v, want the record another replica stored, at once", v.State, ok, took)
	}
}
