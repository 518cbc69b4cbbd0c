package app_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// An answer queues the sync of its customer's standing in its own
// transaction; the sync is started once the engine takes it (never twice),
// and the standing it reads is the loyalty rule's at the instant asked.
func TestAnswerQueuesTheStandingSync(t *testing.T) {
	s, gdb, id := setup(t, "")
	ctx := context.Background()
	st := app.NewStandings(gdb)
	st.Now = s.Now
	type start struct {
		customer, survey string
		at               time.Time
	}
	var started []start
	down := true
	st.Start = func(_ context.Context, customer, survey string, at time.Time) error {
		if down {
			return errors.New("temporal unreachable")
		}
		started = append(started, start{customer, survey, at})
		return nil
	}
	told := 0
	s.Answered = func() { told++; st.Answered() }
	issued, err := s.Issue(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.StartPending(ctx, 10); n != 0 || err != nil {
		t.Fatalf("before the answer: %d started, %v", n, err)
	}
	var link string
	gdb.Raw(`SELECT body FROM case_entries WHERE kind = 'survey_sent'`).Row().Scan(&link)
	if _, err := s.Answer(ctx, token(link), domain.Answer{CSAT: new(1), Comment: "Nobody called back."}); err != nil {
		t.Fatal(err)
	}
	if told != 1 {
		t.Errorf("the sync loop was told of %d answers, want 1", told)
	}
	if n, err := st.StartPending(ctx, 10); n != 0 || err == nil {
		t.Fatalf("engine down: %d started, %v", n, err)
	}
	down = false
	if n, err := st.StartPending(ctx, 10); n != 1 || err != nil {
		t.Fatalf("engine up: %d started, %v", n, err)
	}
	if n, _ := st.StartPending(ctx, 10); n != 0 || len(started) != 1 || started[0] != (start{"c-basalt", issued.SurveyID, s.Now().UTC()}) {
		t.Fatalf("started %v", started)
	}

	now := s.Now()
	page, next, err := st.Page(ctx, "", nil, 0, now)
	if err != nil || next != "" || len(page) != 1 {
		t.Fatalf("page: %+v %q %v", page, next, err)
	}
	if p := page[0]; p.CustomerID != "c-basalt" || p.Level != domain.LoyaltyAtRisk || *p.CSATAverage != 1 || p.CSATCount != 1 || !p.AsOf.Equal(now) {
		t.Errorf("standing %+v", p)
	}
	// A year and a day later the answer is out of the window: unknown.
	later := now.Add(domain.SatisfactionWindow + 24*time.Hour)
	if page, _, _ := st.Page(ctx, "", nil, 0, later); len(page) != 1 || page[0].Level != domain.LoyaltyUnknown || page[0].CSATAverage != nil {
		t.Errorf("a year later: %+v", page)
	}
	if _, _, err := st.Page(ctx, "", nil, 0, time.Time{}); err == nil {
		t.Error("a page without as_of was answered")
	}
	if _, _, err := st.Page(ctx, "", []string{"not-an-id"}, 0, now); err == nil {
		t.Error("a page of a malformed customer id was answered")
	}
}

// Pages walk every customer that answered, in id order, each once; a
// customer named is answered whether it answered or not.
func TestStandingPages(t *testing.T) {
	s, gdb, _ := setup(t, "")
	ctx := context.Background()
	ids := []string{"0190a000-0000-7000-8000-000000000003", "0190a000-0000-7000-8000-000000000001", "0190a000-0000-7000-8000-000000000002"}
	at := s.Now().Add(-time.Hour)
	for i, c := range ids {
		k, e, err := domain.New(domain.Draft{ID: adapters.NewID(), CustomerID: c, Type: domain.TypeRepair, Channel: domain.ChannelPhone,
			Subject: "Crane stops", Team: "service-north", CreatedBy: "rep-ana"}, at.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adapters.NewCases(gdb).Create(ctx, k, e); err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec(`INSERT INTO case_surveys (id, case_id, customer_id, team, priority, type, token_hash, delivery, delivery_state,
			closed_at, sent_at, expires_at, answered_at, csat) SELECT ?, id, customer_id, team, priority, type, ?, 'timeline', 'sent', ?, ?, ?, ?, ?
			FROM cases WHERE id = ?`, adapters.NewID(), "hash-"+c, at, at, at.Add(24*time.Hour), at, 5-i, k.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	st := app.NewStandings(gdb)
	var got []string
	after := ""
	for pages := 0; pages < 5; pages++ {
		page, next, err := st.Page(ctx, after, nil, 2, s.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			got = append(got, p.CustomerID)
		}
		if after = next; after == "" {
			break
		}
	}
	want := []string{"0190a000-0000-7000-8000-000000000001", "0190a000-0000-7000-8000-000000000002", "0190a000-0000-7000-8000-000000000003"}
	if !slices.Equal(got, want) { // the set-up's case has no answered survey: not paged
		t.Fatalf("paged %v, want %v", got, want)
	}
	named, _, err := st.Page(ctx, "", []string{"0190a000-0000-7000-8000-000000000009", want[1]}, 0, s.Now())
	if err != nil || len(named) != 2 || named[0].CustomerID != want[1] || named[0].Level == domain.LoyaltyUnknown ||
		named[1].Level != domain.LoyaltyUnknown || named[1].CSATAverage != nil {
		t.Fatalf("named customers: %+v %v", named, err)
	}
}
