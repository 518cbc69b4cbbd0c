package adapters_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

func openStore(t testing.TB, dsn string) (*gorm.DB, *adapters.Store) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Minute}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
		t.Fatal(err)
	}
	return gdb, adapters.NewStore(gdb)
}

// fixture is a customer as the segment rules see it.
type fixture struct {
	id                                               string
	class, stage, rel, region, industry, owner, team string
	deleted                                          bool
	lastContact, lostAt                              *time.Time
	lostReason, lostCompetitor                       string
	// standing is the copy of its service standing (nil: none).
	standing *domain.Standing
}

func at(t time.Time) *time.Time { return &t }

// population is a spread of customers: every class (and none), stage,
// relationship stage, region and owner, contacts on both sides of the day
// edges the filters below use, lost ones lost before and after the cut,
// and deleted ones that never appear.
func population(asOf, cut time.Time) []fixture {
	classes := []string{"A", "B", "C", ""}
	stages := []string{"lead", "prospect", "transacting", "service", "lost"}
	rels := []string{"exploration", "formation", "stability", "decline", ""}
	regions := []string{"north", "south", "east"}
	owners := []struct{ owner, team string }{{"rep-ana", "north"}, {"rep-bo", "south"}, {"", ""}}
	day := 24 * time.Hour
	gaps := []*time.Duration{nil, ptr(0), ptr(7*day - time.Microsecond), ptr(7 * day), ptr(30*day - time.Microsecond), ptr(30 * day),
		ptr(31*day - time.Microsecond), ptr(31 * day), ptr(400 * day)}
	var out []fixture
	for i := 0; i < 90; i++ {
		o := owners[i%len(owners)]
		f := fixture{id: fmt.Sprintf("0190a000-0000-7000-8000-%012d", 1000+i*7%90), class: classes[i%len(classes)], stage: stages[i%len(stages)],
			rel: rels[(i/2)%len(rels)], region: regions[(i/3)%len(regions)], industry: []string{"steel", "fruit"}[i%2], owner: o.owner, team: o.team,
			deleted: i%11 == 10}
		if g := gaps[i%len(gaps)]; g != nil {
			f.lastContact = at(asOf.Add(-*g))
		}
		if f.stage == "lost" {
			f.lostAt = at(cut.Add(time.Duration(i%3-1) * time.Hour)) // before, at and after the cut
			if i%3 == 0 {
				f.lostAt = at(cut) // exactly at the cut: lost at or before
			}
			f.lostReason, f.lostCompetitor = "price", []string{"", "Rival Steel"}[i%2]
		}
		f.standing = standingOf(f.id, i, asOf)
		out = append(out, f)
	}
	return out
}

// standingOf is the i-th customer's standing: none, or each level in turn,
// with averages on both sides of the bounds the filters below use (an
// unknown one without answers).
func standingOf(id string, i int, asOf time.Time) *domain.Standing {
	k := i % 7
	if k == 0 {
		return nil
	}
	levels := []string{"", "unknown", "at_risk", "at_risk", "neutral", "loyal", "advocate"}
	averages := []float64{0, 0, 2.5, 3, 3.49, 4.2, 5}
	s := &domain.Standing{CustomerID: id, Level: levels[k], AsOf: asOf.Add(-time.Hour)}
	if k > 1 {
		avg := averages[k]
		s.CSATAverage, s.CSATCount = &avg, 1+i%4
	}
	return s
}

func ptr(d time.Duration) *time.Duration { return &d }

func insert(t testing.TB, gdb *gorm.DB, fs []fixture) {
	t.Helper()
	now := time.Now().UTC()
	var standings []domain.Standing
	for _, f := range fs {
		if f.standing != nil {
			standings = append(standings, *f.standing)
		}
		c := adapters.CustomerRecord{ID: f.id, Name: "Customer " + f.id, NormalizedName: "customer " + f.id, Region: f.region, Industry: f.industry,
			OwnerID: f.owner, Team: f.team, LifecycleStage: f.stage, RelationshipStage: f.rel, ValueClass: f.class, CreatedBy: "test",
			CreatedAt: now, UpdatedAt: now, CareFrom: now, LostAt: f.lostAt, LostReason: f.lostReason, LostCompetitor: f.lostCompetitor}
		if f.deleted {
			c.DeletedAt = &now
		}
		if err := gdb.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		if f.lastContact != nil {
			if err := gdb.Exec("UPDATE customers SET last_contact_at = ? WHERE id = ?", *f.lastContact, f.id).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := adapters.NewStore(gdb).PutStandings(context.Background(), standings, now); err != nil || n != len(standings) {
		t.Fatalf("standings: %d of %d stored, %v", n, len(standings), err)
	}
}

// inSegment is the segment rule as docs/domain state it, applied to one
// customer: the oracle the storage's answer is checked against.
func inSegment(f fixture, r domain.SegmentRequest) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	q := r.Filter
	if f.deleted || !in(q.ValueClasses, f.class) || !in(q.LifecycleStages, f.stage) || !in(q.RelationshipStages, f.rel) ||
		!in(q.Regions, f.region) || !in(q.Industries, f.industry) || !in(q.OwnerIDs, f.owner) || !in(q.Teams, f.team) || !in(q.CustomerIDs, f.id) {
		return false
	}
	if r.AsOf != nil {
		d, contacted := domain.DaysSinceContact(f.lastContact, *r.AsOf)
		if q.MinDaysSinceContact >= 0 && contacted && d < q.MinDaysSinceContact {
			return false
		}
		if q.MaxDaysSinceContact >= 0 && (!contacted || d > q.MaxDaysSinceContact) {
			return false
		}
	}
	if len(q.LoyaltyLevels) > 0 && !slices.Contains(q.LoyaltyLevels, domain.LevelOf(f.standing)) {
		return false
	}
	if q.MinSatisfaction != nil || q.MaxSatisfaction != nil {
		if f.standing == nil || f.standing.CSATAverage == nil {
			return false // no answers: no satisfaction bound matches
		}
		avg := *f.standing.CSATAverage
		if (q.MinSatisfaction != nil && avg < *q.MinSatisfaction) || (q.MaxSatisfaction != nil && avg > *q.MaxSatisfaction) {
			return false
		}
	}
	return q.LostBefore == nil || (f.lostAt != nil && !f.lostAt.After(*q.LostBefore))
}

func score(f float64) *float64 { return &f }

// TestSegmentPage walks segments a page at a time on each database and
// finds exactly the customers the rule selects, in id order, each once,
// with the facts a campaign reads; the count is the whole segment's.
func TestSegmentPage(t *testing.T) {
	asOf := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	cut := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	fs := population(asOf, cut)
	byID := map[string]fixture{}
	for _, f := range fs {
		byID[f.id] = f
	}
	req := func(mod func(*domain.SegmentFilter)) domain.SegmentRequest {
		f := domain.SegmentFilter{MinDaysSinceContact: -1, MaxDaysSinceContact: -1}
		mod(&f)
		return domain.SegmentRequest{Filter: f, AsOf: &asOf}
	}
	requests := map[string]domain.SegmentRequest{
		"everyone live": req(func(*domain.SegmentFilter) {}),
		"class A":       req(func(f *domain.SegmentFilter) { f.ValueClasses = []string{"A"} }),
		"lost A or B": req(func(f *domain.SegmentFilter) {
			f.ValueClasses, f.LifecycleStages = []string{"A", "B"}, []string{"lost"}
		}),
		"care stages":           req(func(f *domain.SegmentFilter) { f.LifecycleStages = []string{"transacting", "service"} }),
		"declining in the east": req(func(f *domain.SegmentFilter) { f.RelationshipStages, f.Regions = []string{"decline"}, []string{"east"} }),
		"an owner's fruit":      req(func(f *domain.SegmentFilter) { f.OwnerIDs, f.Industries = []string{"rep-bo"}, []string{"fruit"} }),
		"two teams":             req(func(f *domain.SegmentFilter) { f.Teams = []string{"north", "south"} }),
		"named customers":       req(func(f *domain.SegmentFilter) { f.CustomerIDs = []string{fs[3].id, fs[10].id, fs[44].id, fs[21].id} }),
		"out of touch 30 days":  req(func(f *domain.SegmentFilter) { f.MinDaysSinceContact = 30 }),
		"in touch within 7":     req(func(f *domain.SegmentFilter) { f.MaxDaysSinceContact = 7 }),
		"7 to 30 days":          req(func(f *domain.SegmentFilter) { f.MinDaysSinceContact, f.MaxDaysSinceContact = 7, 30 }),
		"today only":            req(func(f *domain.SegmentFilter) { f.MinDaysSinceContact, f.MaxDaysSinceContact = 0, 0 }),
		"win-back: lost before the cut, out of touch 30 days": req(func(f *domain.SegmentFilter) {
			f.LifecycleStages, f.LostBefore, f.MinDaysSinceContact = []string{"lost"}, &cut, 30
		}),
		"lost before, no stage named":         req(func(f *domain.SegmentFilter) { f.LostBefore = &cut }),
		"nobody":                              req(func(f *domain.SegmentFilter) { f.Regions = []string{"nowhere"} }),
		"at risk":                             req(func(f *domain.SegmentFilter) { f.LoyaltyLevels = []string{"at_risk"} }),
		"unknown, with or without a standing": req(func(f *domain.SegmentFilter) { f.LoyaltyLevels = []string{"unknown"} }),
		"loyal or advocate in the north": req(func(f *domain.SegmentFilter) {
			f.LoyaltyLevels, f.Teams = []string{"loyal", "advocate"}, []string{"north"}
		}),
		"satisfaction 3 to 4.2":   req(func(f *domain.SegmentFilter) { f.MinSatisfaction, f.MaxSatisfaction = score(3), score(4.2) }),
		"satisfaction below 3.49": req(func(f *domain.SegmentFilter) { f.MaxSatisfaction = score(3.49) }),
		"at risk or unknown, averaging 2.5 or more, lost": req(func(f *domain.SegmentFilter) {
			f.LoyaltyLevels, f.MinSatisfaction, f.LifecycleStages = []string{"at_risk", "unknown"}, score(2.5), []string{"lost"}
		}),
	}
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb, store := openStore(t, b.DSN(t))
			insert(t, gdb, fs)
			for name, r := range requests {
				t.Run(name, func(t *testing.T) {
					var want []string
					for _, f := range fs {
						if inSegment(f, r) {
							want = append(want, f.id)
						}
					}
					slices.Sort(want)
					if name != "nobody" && len(want) == 0 {
						t.Fatal("the population holds nobody of this segment: the test would prove nothing")
					}
					var got []string
					r.Limit, r.WithCount = 4, true
					for pages := 0; ; pages++ {
						p, err := domain.PlanSegment(r)
						if err != nil {
							t.Fatal(err)
						}
						rows, total, err := store.SegmentPage(ctx, p)
						if err != nil {
							t.Fatal(err)
						}
						if total != int64(len(want)) {
							t.Fatalf("page %d counts %d, the segment holds %d", pages, total, len(want))
						}
						more := len(rows) > p.Limit
						if more {
							rows = rows[:p.Limit]
						}
						for _, c := range rows {
							f := byID[c.ID]
							if c.LifecycleStage != f.stage || c.ValueClass != f.class || c.Team != f.team || c.LostReason != f.lostReason ||
								c.LostCompetitor != f.lostCompetitor || !sameInstant(c.LostAt, f.lostAt) || !sameInstant(c.LastContactAt, f.lastContact) {
								t.Fatalf("facts of %s: %+v, want %+v", c.ID, c, f)
							}
							got = append(got, c.ID)
						}
						if !more {
							break
						}
						r.AfterID = rows[len(rows)-1].ID
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("segment %v\nwant    %v", got, want)
					}
				})
			}
		})
	}
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// TestSegmentPageUsesTheStageIndex: on PostgreSQL a page of one lifecycle
// stage is a range scan of ix_customers_stage_id from the cursor, already
// in id order — no sort of the stage's customers, whatever their number.
func TestSegmentPageUsesTheStageIndex(t *testing.T) {
	gdb, _ := openStore(t, testenv.Postgres(t))
	cut := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	p, err := domain.PlanSegment(domain.SegmentRequest{Filter: domain.SegmentFilter{LifecycleStages: []string{"lost"}, LostBefore: &cut,
		MinDaysSinceContact: -1, MaxDaysSinceContact: -1}, AfterID: "0190a000-0000-7000-8000-000000000000", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	err = gdb.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
			return err
		}
		sql := tx.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var rows []adapters.CustomerRecord
			return adapters.SegmentQuery(tx, p).Find(&rows)
		})
		return tx.Raw("EXPLAIN " + sql).Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "ix_customers_stage_id") || strings.Contains(text, "Sort") {
		t.Fatalf("a one-stage page does not range-scan ix_customers_stage_id in id order:\n%s", text)
	}
}
