package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/loyalty"
)

func id(i int) string { return fmt.Sprintf("c%04d", i) }

// services fakes the after-sales service (n customers c0001…, every third
// at_risk, served per a page in id order with the real cursor contract) and
// the customer service (which stores what it is sent, keeping the most
// recent as_of per customer), recording each call.
type services struct {
	t      *testing.T
	n, per int
	mu     sync.Mutex
	pages  []*servicev1.LoyaltyPageInput
	stored map[string]*servicev1.CustomerStanding
	writes int
	// failRecord fails this many RecordStandings calls first (the customer
	// service down for a moment).
	failRecord int
	// invalid makes the page request refused as malformed.
	invalid bool
}

func newServices(t *testing.T, n, per int) *services {
	return &services{t: t, n: n, per: per, stored: map[string]*servicev1.CustomerStanding{}}
}

func (s *services) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.LoyaltyPageInput) (*servicev1.LoyaltyPageResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pages = append(s.pages, proto.Clone(in).(*servicev1.LoyaltyPageInput))
		if s.invalid {
			return nil, temporal.NewNonRetryableApplicationError("as_of: required", "validation_failed", nil)
		}
		standing := func(c string, i int) *servicev1.CustomerStanding {
			level, avg := "neutral", 3.5
			if i%3 == 0 {
				level, avg = "at_risk", 2.0
			}
			return &servicev1.CustomerStanding{CustomerId: c, LoyaltyLevel: level, CsatAverage: &avg, CsatCount: 2, AsOf: in.GetAsOf()}
		}
		out := &servicev1.LoyaltyPageResult{}
		if len(in.GetCustomerIds()) > 0 {
			for _, c := range in.GetCustomerIds() {
				n, _ := strconv.Atoi(c[1:])
				out.Standings = append(out.Standings, standing(c, n))
			}
			return out, nil
		}
		start := 1
		if a := in.GetAfterId(); a != "" {
			n, _ := strconv.Atoi(a[1:])
			start = n + 1
		}
		for i := start; i <= s.n && i < start+s.per; i++ {
			out.Standings = append(out.Standings, standing(id(i), i))
		}
		if last := start + s.per - 1; last < s.n {
			out.NextAfterId = id(last)
		}
		return out, nil
	}, activity.RegisterOptions{Name: servicec.ActivityLoyaltyPage})
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.RecordStandingsInput) (*servicev1.RecordStandingsResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failRecord > 0 {
			s.failRecord--
			return nil, errors.New("database unavailable")
		}
		out := &servicev1.RecordStandingsResult{}
		for _, st := range in.GetStandings() {
			if cur := s.stored[st.GetCustomerId()]; cur != nil && cur.GetAsOf().AsTime().After(st.GetAsOf().AsTime()) {
				out.Stale++
				continue
			}
			s.stored[st.GetCustomerId()] = st
			s.writes++
			out.Recorded++
		}
		return out, nil
	}, activity.RegisterOptions{Name: customerc.ActivityRecordStandings})
}

func run(t *testing.T, s *services, in *servicev1.LoyaltySyncInput, start time.Time) (*servicev1.LoyaltySyncResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(loyalty.Sync, wfRegister)
	s.register(env)
	env.ExecuteWorkflow(wfc.WorkflowLoyaltySync, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the sync did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return nil, err
	}
	var out servicev1.LoyaltySyncResult
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	return &out, nil
}

var start = time.Date(2026, time.December, 5, 3, 0, 0, 0, time.UTC)

// TestReconciliationCopiesEveryPage: the daily run reads every page in id
// order, each at the run's start, and the customer service stores each
// standing once.
func TestReconciliationCopiesEveryPage(t *testing.T) {
	s := newServices(t, 1201, 500)
	out, err := run(t, s, &servicev1.LoyaltySyncInput{}, start)
	if err != nil {
		t.Fatal(err)
	}
	if out.GetPages() != 3 || out.GetRead() != 1201 || out.GetRecorded() != 1201 || out.GetStale() != 0 {
		t.Fatalf("totals %v, want 3 pages, 1201 read and recorded", out)
	}
	if len(s.stored) != 1201 || s.writes != 1201 {
		t.Fatalf("stored %d standings in %d writes, want 1201 once each", len(s.stored), s.writes)
	}
	for i, p := range s.pages {
		if !p.GetAsOf().AsTime().Equal(start) {
			t.Errorf("page %d as of %s, want the run's start %s", i, p.GetAsOf().AsTime(), start)
		}
		if want := []string{"", id(500), id(1000)}[i]; p.GetAfterId() != want || p.GetLimit() != loyalty.PageSize {
			t.Errorf("page %d after %q limit %d, want after %q limit %d", i, p.GetAfterId(), p.GetLimit(), want, loyalty.PageSize)
		}
	}
	if st := s.stored[id(3)]; st.GetLoyaltyLevel() != "at_risk" {
		t.Errorf("c0003 stored as %v, want at_risk", st)
	}
}

// TestAnswerSyncCopiesOneCustomer: after an answer, one page of the one
// customer named, and nobody else's standing is touched.
func TestAnswerSyncCopiesOneCustomer(t *testing.T) {
	s := newServices(t, 1201, 500)
	out, err := run(t, s, &servicev1.LoyaltySyncInput{CustomerIds: []string{id(9)}}, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.pages) != 1 || len(s.pages[0].GetCustomerIds()) != 1 || s.pages[0].GetCustomerIds()[0] != id(9) {
		t.Fatalf("pages %v, want one page of c0009", s.pages)
	}
	if out.GetRecorded() != 1 || len(s.stored) != 1 || s.stored[id(9)].GetLoyaltyLevel() != "at_risk" {
		t.Fatalf("totals %v stored %v, want c0009 at_risk only", out, s.stored)
	}
}

// TestOlderStandingsStayOut: a reconciliation that reaches a customer whose
// answer's sync stored a newer standing leaves it (counted stale).
func TestOlderStandingsStayOut(t *testing.T) {
	s := newServices(t, 10, 500)
	later := start.Add(time.Minute)
	s.stored[id(4)] = &servicev1.CustomerStanding{CustomerId: id(4), LoyaltyLevel: "loyal", AsOf: timestamppb.New(later)}
	out, err := run(t, s, &servicev1.LoyaltySyncInput{}, start)
	if err != nil {
		t.Fatal(err)
	}
	if out.GetRecorded() != 9 || out.GetStale() != 1 || s.stored[id(4)].GetLoyaltyLevel() != "loyal" {
		t.Fatalf("totals %v, c0004 %v: want 9 recorded, 1 stale, c0004 still loyal", out, s.stored[id(4)])
	}
}

// TestCustomerServiceDownIsRetried: a failing write is retried until the
// customer service takes it; nothing is lost and no page is read twice.
func TestCustomerServiceDownIsRetried(t *testing.T) {
	s := newServices(t, 700, 500)
	s.failRecord = 3
	out, err := run(t, s, &servicev1.LoyaltySyncInput{}, start)
	if err != nil {
		t.Fatal(err)
	}
	if out.GetRecorded() != 700 || len(s.pages) != 2 {
		t.Fatalf("totals %v after %d pages, want 700 recorded from 2 pages", out, len(s.pages))
	}
}

// TestMalformedPageEndsTheRun: a refused page request is not retried.
func TestMalformedPageEndsTheRun(t *testing.T) {
	s := newServices(t, 10, 500)
	s.invalid = true
	if _, err := run(t, s, &servicev1.LoyaltySyncInput{}, start); err == nil {
		t.Fatal("a refused page ended the run without an error")
	}
	if len(s.pages) != 1 {
		t.Fatalf("the refused page was asked %d times, want once", len(s.pages))
	}
}

// TestContinuesAsNewCarryingTheCursor: after PagesPerRun pages the run
// continues as new with the cursor, the totals and its as_of, so the next
// run goes on where it stopped, at the same instant.
func TestContinuesAsNewCarryingTheCursor(t *testing.T) {
	s := newServices(t, loyalty.PagesPerRun*2+5, 2)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(loyalty.Sync, wfRegister)
	s.register(env)
	env.ExecuteWorkflow(wfc.WorkflowLoyaltySync, &servicev1.LoyaltySyncInput{PageSize: 2})
	var can *temporalContinueAsNew
	err := env.GetWorkflowError()
	if !asContinueAsNew(err, &can) {
		t.Fatalf("want continue-as-new after %d pages, got %v", loyalty.PagesPerRun, err)
	}
	var next servicev1.LoyaltySyncInput
	if err := decodeInput(can, &next); err != nil {
		t.Fatal(err)
	}
	if next.GetAfterId() != id(loyalty.PagesPerRun*2) || next.GetTotals().GetRecorded() != int64(loyalty.PagesPerRun*2) ||
		!next.GetAsOf().AsTime().Equal(start) || next.GetPageSize() != 2 {
		t.Fatalf("continued with %v", &next)
	}
}
