package marketing_test

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows/winback"
)

// TestTouchIsReadAheadOfItsInstant runs a win-back touch on the real
// Temporal dev server with the cadence's first call a minute after the
// enrolment: the terms and the missed responses are read PrefetchLead
// before the instant, the marketing service is asked at the instant and
// not before, and the touch is recorded once. Its history is the on-time
// path of the read-ahead for the replay tests (UPDATE_HISTORIES=1).
func TestTouchIsReadAheadOfItsInstant(t *testing.T) {
	s := newStack(t, testenv.Postgres, true)
	s.setPolicy("winback.cadence", map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []any{
		map[string]any{"after": "1m", "action": "call"}, map[string]any{"after": "30d", "action": "visit"}}}})
	c, id, enrolled := s.winBackOfOne()
	due := enrolled.Add(time.Minute)
	var planned []time.Time
	stacktest.Eventually(t, "the touch", 3*time.Minute, func() bool {
		planned = planned[:0]
		if err := s.db.Table("touches").Where("campaign_id = ?", id).Pluck("planned_at", &planned).Error; err != nil {
			t.Fatal(err)
		}
		return len(planned) > 0
	})
	time.Sleep(2 * time.Second) // a second touch would come now
	if err := s.db.Table("touches").Where("campaign_id = ?", id).Pluck("planned_at", &planned).Error; err != nil || len(planned) != 1 {
		t.Fatalf("touches recorded: %v (%v), want one", planned, err)
	}
	t.Logf("touch recorded %s after its instant", planned[0].Sub(due))
	if planned[0].Before(due) {
		t.Fatalf("touch recorded at %s, before its instant %s", planned[0], due)
	}

	// The history: the missed responses asked ahead of the instant, the
	// touch asked at it, nothing asked of the customer service after it.
	tc := s.marketing.App.Deps().Temporal
	wid := wfc.WinBackWorkflowID(c, id)
	it := tc.GetWorkflowHistory(context.Background(), wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var asked, decided []time.Time
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		a := ev.GetActivityTaskScheduledEventAttributes()
		switch a.GetActivityType().GetName() {
		case customerc.ActivityWinBackResponses:
			asked = append(asked, ev.GetEventTime().AsTime())
		case marketingc.ActivityWinBackTouch:
			decided = append(decided, ev.GetEventTime().AsTime())
		}
	}
	if len(asked) != 1 || len(decided) != 1 {
		t.Fatalf("asked for missed responses at %v and for the touch at %v, want once each", asked, decided)
	}
	if ahead := due.Sub(asked[0]); ahead <= 0 || ahead > winback.PrefetchLead+time.Second {
		t.Errorf("missed responses asked %s before the instant, want about %s", ahead, winback.PrefetchLead)
	}
	if decided[0].Before(due) {
		t.Errorf("the touch was asked for at %s, before its instant %s", decided[0], due)
	}
	testenv.SaveHistory(t, tc, wid, "../../workflows/winback/testdata/winback-prefetch-touch-on-time.json")
}
