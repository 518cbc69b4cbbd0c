package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

func TestOpportunityProgress(t *testing.T) {
	entered := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o := domain.OpportunityProgress{Stage: 1, MaxStage: 1, Status: domain.OppOpen, StageEnteredAt: entered}
	m, e, err := o.Apply(domain.OpportunityChange{Op: domain.OpStage, ToStage: 3, Reason: "tender", At: entered.Add(48 * time.Hour)})
	if err != nil || o.Stage != 3 || o.MaxStage != 3 || m.From != 1 || m.To != 3 || m.SecondsInStage != 48*3600 || e.Kind != "stage_changed" {
		t.Fatalf("forward: %+v %+v %+v %v", o, m, e, err)
	}
	if _, _, err := o.Apply(domain.OpportunityChange{Op: domain.OpStage, ToStage: 2, Reason: "x", At: entered}); !errors.Is(err, domain.ErrStageBackwards) {
		t.Fatalf("back without permission: %v", err)
	}
	if _, _, err := o.Apply(domain.OpportunityChange{Op: domain.OpStage, ToStage: 2, MayGoBack: true, At: entered}); err == nil {
		t.Fatal("back without a reason")
	}
	if _, _, err := o.Apply(domain.OpportunityChange{Op: domain.OpStage, ToStage: 2, MayGoBack: true, Reason: "reopened", At: entered.Add(72 * time.Hour)}); err != nil || o.Stage != 2 || o.MaxStage != 3 {
		t.Fatalf("back: %+v %v", o, err)
	}
	if _, _, err := o.Apply(domain.OpportunityChange{Op: domain.OpLost, At: entered}); err == nil {
		t.Fatal("lost without a reason")
	}
	m, e, err = o.Apply(domain.OpportunityChange{Op: domain.OpLost, Reason: "price", Competitor: "Basalt", At: entered.Add(96 * time.Hour)})
	if err != nil || o.Status != domain.OppLost || o.ClosedAt == nil || m.ToStatus != domain.OppLost || e.Summary != "lost: price (to Basalt)" {
		t.Fatalf("lost: %+v %+v %v", o, e, err)
	}
	if _, _, err := o.Apply(domain.OpportunityChange{Op: domain.OpWon, At: entered}); !errors.Is(err, domain.ErrOpportunityClosed) {
		t.Fatalf("won after lost: %v", err)
	}
	w := domain.OpportunityProgress{Stage: 4, MaxStage: 4, Status: domain.OppOpen}
	if m, _, err := w.Apply(domain.OpportunityChange{Op: domain.OpWon, At: entered}); err != nil || w.MaxStage != domain.WonStage || m.To != domain.WonStage {
		t.Fatalf("won: %+v %+v %v", w, m, err)
	}
	for _, c := range []struct {
		status      string
		stage, prob int
		want        int
	}{{domain.OppOpen, 2, 0, 30}, {domain.OppOpen, 2, 45, 45}, {domain.OppWon, 2, 45, 100}, {domain.OppLost, 4, 0, 0}} {
		if got := domain.EffectiveProbability(c.status, c.stage, c.prob); got != c.want {
			t.Errorf("%+v: %d", c, got)
		}
	}
}
