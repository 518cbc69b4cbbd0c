package followup

import "testing"

// A query answered before Track has resolved its policies (the embedding
// workflow's query can come first) has no due time and no next step — not
// year 1, which the lead's /escalation once showed.
func TestStateBeforeTheFirstResolutionHasNoInstants(t *testing.T) {
	s := (&tracker{}).snapshot()
	if s.GetDueAt() != nil || s.GetNextAt() != nil || s.GetNextAction() != "" {
		t.Fatalf("state before resolution: %v", s)
	}
}
