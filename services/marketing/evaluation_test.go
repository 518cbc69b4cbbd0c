package marketing_test

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// TestEvaluationFixture: the evaluation the API answers matches a campaign
// worked out by hand — 200 treated customers of whom 50 responded and 20
// bought (1,000 each), 100 held out of whom 15 responded and 5 bought, 2,500
// spent. Response rates 0.25 and 0.15: uplift 0.10 absolute, 0.6667
// relative, Newcombe's 95 % interval 0.0006 to 0.1859 (the arithmetic is in
// internal/domain/evaluation_test.go); conversion 0.10 against 0.05;
// incremental revenue (20,000/200 − 5,000/100) × 200 = 10,000; cost per
// response 2,500/50 = 50, per win 2,500/20 = 125; ROI (10,000 − 2,500)/2,500 = 3.
func TestEvaluationFixture(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, false)
			id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"holdout": 0.33}))["id"].(string)
			s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
			s.must(201, "POST", "/v1/campaigns/"+id+"/costs", mktMo, map[string]any{"amount": 2000, "spent_on": "2026-02-01", "note": "call lists"})
			s.must(201, "POST", "/v1/campaigns/"+id+"/costs", mktMo, map[string]any{"amount": 500, "spent_on": "2026-02-03"})
			// The launch and the customers' outcomes as the workflows leave them.
			launched := time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
			if err := s.db.Exec("UPDATE campaigns SET state = 'running', launched_at = ? WHERE id = ?", launched, id).Error; err != nil {
				t.Fatal(err)
			}
			add := func(grp string, n, responded, won int) {
				for i := 0; i < n; i++ {
					var respondedAt *time.Time
					kind := ""
					if i < responded {
						at := launched.Add(time.Duration(i+1) * time.Hour)
						respondedAt, kind = &at, "call"
					}
					wins, revenue := 0, 0.0
					if i < won {
						wins, revenue = 1, 1000
					}
					touches := 0
					if grp == "treated" {
						touches = 1
					}
					if err := s.db.Exec(`INSERT INTO enrolments (campaign_id, customer_id, grp, state, source, enrolled_at, touches, responded_at,
						response_kind, won, won_revenue, opportunities, outcomes_at) VALUES (?, ?, ?, 'active', 'launch', ?, ?, ?, ?, ?, ?, ?, ?)`,
						id, fmt.Sprintf("0190d5c8-0000-7000-8000-%s%08d", grp[:4], i), grp, launched, touches, respondedAt, kind, wins, revenue, wins,
						launched.Add(48*time.Hour)).Error; err != nil {
						t.Fatal(err)
					}
				}
			}
			add("treated", 200, 50, 20)
			add("hold", 100, 15, 5) // grp "hold" is fixed below
			if err := s.db.Exec("UPDATE enrolments SET grp = 'holdout' WHERE grp = 'hold'").Error; err != nil {
				t.Fatal(err)
			}
			ev := s.must(200, "GET", "/v1/campaigns/"+id+"/evaluation", analyst, nil)
			check := func(path string, want float64) {
				t.Helper()
				got, ok := dig(ev, path).(float64)
				if !ok || math.Abs(got-want) > 5e-5 {
					t.Errorf("%s: %v, want %.4f", path, dig(ev, path), want)
				}
			}
			check("treated.enrolled", 200)
			check("treated.touched", 200)
			check("treated.responded", 50)
			check("holdout.enrolled", 100)
			check("holdout.touched", 0)
			check("holdout.responded", 15)
			check("treated.response_rate", 0.25)
			check("holdout.response_rate", 0.15)
			check("response_uplift.absolute", 0.10)
			check("response_uplift.relative", 0.6667)
			check("response_uplift.ci95.low", 0.0006)
			check("response_uplift.ci95.high", 0.1859)
			check("response_uplift.treated_n", 200)
			check("response_uplift.holdout_n", 100)
			check("treated.conversion_rate", 0.10)
			check("holdout.conversion_rate", 0.05)
			check("conversion_uplift.absolute", 0.05)
			check("incremental_revenue", 10000)
			check("actual_cost", 2500)
			check("cost_per_response", 50)
			check("cost_per_win", 125)
			check("roi", 3)
			if ev["outcomes_as_of"] == nil {
				t.Error("the evaluation says when the outcomes were brought in")
			}
			// The list and the comparison carry the same figures.
			list := s.must(200, "GET", "/v1/campaigns?state=running", mgrMona, nil)
			items := list["items"].([]any)
			if len(items) != 1 || dig(items[0].(map[string]any), "figures.response_uplift.ci95.low") != ev["response_uplift"].(map[string]any)["ci95"].(map[string]any)["low"] {
				t.Errorf("the list's figures: %v", items)
			}
			cmp := s.must(200, "GET", "/v1/campaigns/compare?id="+id, mktMay, nil)
			if got := cmp["items"].([]any)[0].(map[string]any)["roi"]; got != ev["roi"] {
				t.Errorf("compare: roi %v, want %v", got, ev["roi"])
			}
		})
	}
}

// dig reads a dotted path in a JSON object.
func dig(m map[string]any, path string) any {
	var cur any = m
	for _, k := range splitDots(path) {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[k]
	}
	return cur
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
