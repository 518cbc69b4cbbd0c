package policy

import "testing"

// TestEveryKindEscalates: every follow-up kind names an escalation ladder
// of the catalogue, so an overdue follow-up of any kind is chased step by
// step (a win-back touch's since winback.touch_escalation_ladder). Track
// still marks a follow-up without a ladder overdue once, should a kind
// without one be added.
func TestEveryKindEscalates(t *testing.T) {
	for _, k := range Kinds() {
		d, ok := Lookup(k.Escalation)
		if k.Escalation == "" || !ok || d.Shape != ShapeLadder {
			t.Errorf("kind %s: escalation %q is not a ladder of the catalogue", k.Name, k.Escalation)
		}
	}
}
