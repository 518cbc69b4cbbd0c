package care

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

// TestTermsOfTheLatestSweep runs on each database: before any sweep a
// customer's status says the cadence is unknown; a sweep's page stores its
// terms, and the status then shows the cadence, the due instant and the open
// care follow-up; a page of an older sweep, retried late, does not replace
// newer terms; another replica's process reads what was stored.
func TestTermsOfTheLatestSweep(t *testing.T) {
	day := 24 * time.Hour
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := openDB(t, b.DSN(t), schema.Migrations)
			wf := newFake()
			s := New(gdb, wf)
			now := time.Now().UTC().Truncate(time.Second)
			s.now = func() time.Time { return now }
			from := now.Add(-31 * day)
			addCustomer(t, gdb, "due-a", "A", "rep-ana", from)
			cust := Customer{Stage: "transacting", OwnerID: "rep-ana", ValueClass: "A", Team: "north", Region: "north", CareFrom: &from}

			st, err := s.Status(ctx, "due-a", cust)
			if err != nil || st.Note != NoTermsNote || st.DueAt != nil || !st.InCare {
				t.Fatalf("before any sweep: %+v %v", st, err)
			}
			page := func(terms *followupv1.CareTerms, at time.Time) {
				t.Helper()
				if _, err := s.OpenPage(ctx, &followupv1.CareOpenPageInput{ValueClass: "A", At: timestamppb.New(at), Lookahead: durationpb.New(time.Hour), Terms: terms}); err != nil {
					t.Fatal(err)
				}
			}
			page(defaultTerms(), now)
			st, err = s.Status(ctx, "due-a", cust)
			if err != nil || st.DueAt == nil || !st.DueAt.Equal(from.Add(30*day)) || !st.Overdue || st.Cadence.Duration != "30d" ||
				st.TermsAsOf == nil || !st.TermsAsOf.Equal(now) {
				t.Fatalf("after a sweep: %+v %v", st, err)
			}
			if st.OpenFollowUp == nil || st.OpenFollowUp.ID != FollowUpID("due-a", from, 0) || st.OpenFollowUp.OwnerID != "rep-ana" {
				t.Errorf("the follow-up the page opened: %+v", st.OpenFollowUp)
			}

			// A newer sweep's terms replace them; an older one's do not.
			newer := standardTerms()
			page(newer, now.Add(time.Minute))
			page(defaultTerms(), now.Add(-time.Minute))
			other := New(gdb, wf) // another replica: reads the table
			terms, asOf, err := other.Terms(ctx)
			if err != nil || terms.GetCadence().GetVersion() != 2 || !asOf.Equal(now.Add(time.Minute)) || len(terms.GetCalendars()) != 1 {
				t.Fatalf("stored terms: version %d as of %v (%v); want version 2 as of %v", terms.GetCadence().GetVersion(), asOf, err, now.Add(time.Minute))
			}
		})
	}
}
