package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = []struct {
	name string
	dsn  func(testing.TB) string
	conn int
}{
	{"postgres", testenv.Postgres, 8},
	{"sqlite", testenv.SQLite, 1},
}

// each runs fn on a freshly migrated database of every backend.
func each(t *testing.T, fn func(t *testing.T, r *adapters.Cases, gdb *gorm.DB)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			gdb, err := db.Open(ctx, db.Config{URL: b.dsn(t), MaxOpenConns: b.conn, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if s, err := gdb.DB(); err == nil {
					s.Close()
				}
			})
			if _, err := migrate.Run(ctx, gdb, "service", adapters.Migrations, log); err != nil {
				t.Fatal(err)
			}
			fn(t, adapters.NewCases(gdb), gdb)
		})
	}
}

func count(t *testing.T, gdb *gorm.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

func draft(id string) domain.Draft {
	return domain.Draft{
		ID: id, CustomerID: "c-basalt", Asset: "Crane K-40, serial 7781", Type: domain.TypeRepair, Channel: domain.ChannelPhone,
		Subject: "Crane stops under load", Team: "service-north", CustomerOwnerID: "rep-ana", CustomerTeam: "north", CreatedBy: "svc-sun",
	}
}

// create files a case as d says at the instant at.
func create(t *testing.T, r *adapters.Cases, d domain.Draft, at time.Time) domain.Case {
	t.Helper()
	c, e, err := domain.New(d, at)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Create(context.Background(), c, e)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCreateAndGet(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		d := draft(adapters.NewID())
		d.Subject = strings.Repeat("修", domain.MaxSubject) // 200 characters, 600 bytes
		d.Description = strings.Repeat("描述", domain.MaxDescription/2)
		c, e, err := domain.New(d, t0.Add(123456789*time.Nanosecond))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a retried create stores it once
			got, err := r.Create(ctx, c, e)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Fatalf("stored %+v\nwant   %+v", got, c)
			}
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM case_entries WHERE case_id = ?", c.ID); n != 1 {
			t.Fatalf("%d entries after two creates", n)
		}
		tl, err := r.Timeline(ctx, c.ID, false, nil, 10)
		if err != nil || len(tl.Items) != 1 || tl.Next != nil {
			t.Fatalf("timeline %+v %v", tl, err)
		}
		want := e
		want.ID = tl.Items[0].ID
		if !reflect.DeepEqual(tl.Items[0], want) || want.ID == "" {
			t.Errorf("created entry %+v\nwant %+v", tl.Items[0], want)
		}
		if _, err := r.Get(ctx, adapters.NewID()); !errors.Is(err, domain.ErrCaseNotFound) {
			t.Errorf("a missing case: %v", err)
		}

		// A follow-on of the case once it is closed keeps the link.
		closed, err := r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
			var all []domain.Entry
			for _, to := range []string{domain.StateResolved, domain.StateClosed} {
				n, es, _, err := domain.ChangeState(*c, domain.StateChange{To: to, Reason: "fixed", Actor: "svc-sun"}, t0.Add(time.Hour))
				if err != nil {
					return nil, err
				}
				*c, all = n, append(all, es...)
			}
			return all, nil
		})
		if err != nil || closed.State != domain.StateClosed || closed.Version != 2 {
			t.Fatalf("closed: %+v %v", closed, err)
		}
		f, fe, err := domain.FollowOn(closed, domain.Draft{ID: adapters.NewID(), Channel: domain.ChannelEmail, Subject: "again", CreatedBy: "svc-li"}, time.Hour, t0.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Create(ctx, f, fe); err != nil || got.FollowOnOf != c.ID || got.CustomerOwnerID != "rep-ana" {
			t.Fatalf("follow-on %+v %v", got, err)
		}
	})
}

func TestUpdate(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		c := create(t, r, draft(adapters.NewID()), t0)
		reply := func(body string, at time.Time, eff *domain.Effects) func(*domain.Case) ([]domain.Entry, error) {
			return func(c *domain.Case) ([]domain.Entry, error) {
				n, es, e, err := domain.Reply(*c, domain.Message{Direction: domain.Outbound, Body: body, Actor: "svc-sun"}, at)
				*c, *eff = n, e
				return es, err
			}
		}
		var eff domain.Effects
		at := t0.Add(20 * time.Minute)
		got, err := r.Update(ctx, c.ID, reply("A technician comes tomorrow.", at, &eff))
		if err != nil || got.State != domain.StateOpen || got.Version != 2 || got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(at) || !eff.MeetsFirstResponse {
			t.Fatalf("first reply: %+v %+v %v", got, eff, err)
		}
		if stored, _ := r.Get(ctx, c.ID); !reflect.DeepEqual(stored, got) {
			t.Fatalf("returned %+v\nstored   %+v", got, stored)
		}
		all, _ := r.Timeline(ctx, c.ID, true, nil, 10)
		public, _ := r.Timeline(ctx, c.ID, false, nil, 10)
		if k := kinds(all.Items); !slices.Equal(k, []string{domain.KindCreated, domain.KindReply, domain.KindStateChanged}) {
			t.Fatalf("timeline %v", k)
		}
		if k := kinds(public.Items); !slices.Equal(k, []string{domain.KindCreated, domain.KindReply}) {
			t.Fatalf("public timeline %v", k)
		}

		// A refusal stores nothing, nor does a failure after fn changed the
		// case, nor a change that changes nothing.
		entries := count(t, gdb, "SELECT COUNT(*) FROM case_entries")
		if _, err := r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
			n, es, _, err := domain.ChangeState(*c, domain.StateChange{To: domain.StateClosed, Actor: "svc-sun"}, at)
			*c = n
			return es, err
		}); !errors.Is(err, domain.ErrResolveFirst) {
			t.Fatalf("closing an open case: %v", err)
		}
		boom := errors.New("boom")
		if _, err := r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
			c.State = domain.StateResolved
			return []domain.Entry{{Kind: domain.KindNote, Body: "x"}}, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("a failing change: %v", err)
		}
		if _, err := r.Update(ctx, c.ID, func(*domain.Case) ([]domain.Entry, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		if stored, _ := r.Get(ctx, c.ID); !reflect.DeepEqual(stored, got) || count(t, gdb, "SELECT COUNT(*) FROM case_entries") != entries {
			t.Fatalf("a change that failed or changed nothing was stored: %+v", stored)
		}

		// A stale version is refused.
		if _, err := r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
			if err := domain.CheckVersion(*c, 1); err != nil {
				return nil, err
			}
			n, es, err := domain.Note(*c, "x", "svc-sun", at)
			*c = n
			return es, err
		}); !errors.Is(err, domain.ErrVersionConflict) {
			t.Fatalf("a change against version 1: %v", err)
		}

		// A retried change (the caller set the entry ids) is applied once,
		// and its entries keep their order.
		pause := func(c *domain.Case) ([]domain.Entry, error) {
			n, es, _, err := domain.Reply(*c, domain.Message{Direction: domain.Inbound, Body: "thanks", Actor: "ct-li"}, at.Add(time.Hour))
			if err != nil {
				return nil, err
			}
			n, more, _, err := domain.ChangeState(n, domain.StateChange{To: domain.StatePendingCustomer, Actor: "svc-sun"}, at.Add(time.Hour))
			*c = n
			es = append(es, more...)
			es[0].ID = "activity:case-7:reply-3"
			return es, err
		}
		for range 2 {
			if got, err = r.Update(ctx, c.ID, pause); err != nil {
				t.Fatal(err)
			}
		}
		if got.Version != 3 || got.State != domain.StatePendingCustomer {
			t.Fatalf("after the retried change: %+v", got)
		}
		tl, _ := r.Timeline(ctx, c.ID, true, nil, 10)
		if len(tl.Items) != 5 || tl.Items[3].ID != "activity:case-7:reply-3" || tl.Items[4].ID != "activity:case-7:reply-3/1" || tl.Items[4].Kind != domain.KindStateChanged {
			t.Fatalf("timeline after the retried change: %+v", tl.Items)
		}

		// The customer replies: the case resumes.
		got, err = r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
			n, es, e, err := domain.Reply(*c, domain.Message{Direction: domain.Inbound, Body: "here are the photos", Actor: "ct-li"}, at.Add(2*time.Hour))
			*c, eff = n, e
			return es, err
		})
		if err != nil || got.State != domain.StateOpen || !eff.Resumes || got.Version != 4 {
			t.Fatalf("the customer replied: %+v %+v %v", got, eff, err)
		}
		if _, err := r.Update(ctx, adapters.NewID(), reply("x", at, &eff)); !errors.Is(err, domain.ErrCaseNotFound) {
			t.Fatalf("a missing case: %v", err)
		}
	})
}

// Twenty people resolve the same case at once: exactly one does; and twenty
// notes at once are all kept.
func TestConcurrentUpdates(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		c := create(t, r, draft(adapters.NewID()), t0)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
					next, es, _, err := domain.ChangeState(*c, domain.StateChange{To: domain.StateResolved, Reason: fmt.Sprint("fixed by ", i), Actor: "svc-sun"}, t0.Add(time.Hour))
					*c = next
					return es, err
				})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, domain.ErrStateUnchanged):
				t.Errorf("a loser got %v", err)
			}
		}
		if won != 1 || count(t, gdb, "SELECT COUNT(*) FROM case_entries WHERE case_id = ? AND kind = ?", c.ID, domain.KindStateChanged) != 1 {
			t.Fatalf("%d resolved the case", won)
		}
		for i := range n {
			wg.Go(func() {
				_, errs[i] = r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
					next, es, err := domain.Note(*c, fmt.Sprint("note ", i), "svc-sun", t0.Add(2*time.Hour))
					*c = next
					return es, err
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := r.Get(ctx, c.ID); got.Version != 2+n {
			t.Fatalf("version %d after %d notes", got.Version, n)
		}
	})
}

func kinds(es []domain.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

func principal(sub string, teams []string, roles ...auth.Role) auth.Principal {
	return auth.Principal{Subject: sub, Roles: roles, Teams: teams}
}
