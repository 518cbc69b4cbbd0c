package marketing_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// TestOneTouchCampaign: a visit drive over one rep's customers, on the real
// Temporal dev server and both databases. A segment that matches nobody
// cannot be launched; the launch enrols the segment, holds a quarter out
// and plans one visit per treated customer on its owner's list; a mailing
// launched next finds every customer kept by the visit drive (precedence).
// A customer who enters the drive's segment while it runs is enrolled too
// (enrol_newcomers).
func TestOneTouchCampaign(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, true)
			empty := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Nobody", "segment": map[string]any{"owner_ids": []string{"nobody"}}}))["id"].(string)
			s.must(200, "POST", "/v1/campaigns/"+empty+"/approve", mgrMona, nil)
			if r := s.api("POST", "/v1/campaigns/"+empty+"/launch", mktMo, nil); r.Status != http.StatusUnprocessableEntity || r.Code(t) != "segment_empty" {
				t.Fatalf("launching an empty segment: %d %s", r.Status, r.Body)
			}
			if c := s.must(200, "GET", "/v1/campaigns/"+empty, mktMo, nil); c["state"] != "approved" {
				t.Fatalf("a refused launch changed the campaign: %v", c)
			}

			drive := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Spring visits", "type": "visit_drive",
				"channels": []string{"visit"}, "segment": map[string]any{"owner_ids": []string{repBo}}, "holdout": 0.25, "enrol_newcomers": true}))["id"].(string)
			var customers []string
			for i := 0; i < 8; i++ {
				customers = append(customers, s.customerOf(repBo, nil))
			}
			preview := s.must(200, "GET", "/v1/campaigns/"+drive+"/preview", mktMo, nil)
			if preview["count"] != float64(len(customers)) || len(preview["sample"].([]any)) != len(customers) || preview["holdout_estimate"] != float64(2) {
				t.Fatalf("preview: %v", preview)
			}
			s.must(200, "POST", "/v1/campaigns/"+drive+"/approve", mgrMona, nil)
			s.must(200, "POST", "/v1/campaigns/"+drive+"/launch", mktMo, nil)
			var launch map[string]any
			stacktest.Eventually(t, "the launch finishes", 60*time.Second, func() bool {
				launch, _ = s.must(200, "GET", "/v1/campaigns/"+drive, mktMo, nil)["launch"].(map[string]any)
				return launch != nil
			})
			held := 0
			for _, c := range customers {
				if domain.InHoldout(drive, c, 0.25) {
					held++
				}
			}
			if launch["enrolled"] != float64(len(customers)-held) || launch["held_out"] != float64(held) {
				t.Fatalf("launch %v, want %d treated and %d held out", launch, len(customers)-held, held)
			}
			page := s.must(200, "GET", "/v1/campaigns/"+drive+"/enrolments", mktMo, nil)
			for _, it := range page["items"].([]any) {
				e := it.(map[string]any)
				c := e["customer_id"].(string)
				plan := s.findPlan(c)
				switch e["group"] {
				case "treated":
					if e["touches"] != float64(1) || plan == nil {
						t.Errorf("treated %s: touches %v, plan %v", c, e["touches"], plan)
					}
				case "holdout":
					if e["touches"] != float64(0) || plan != nil {
						t.Errorf("held out %s was touched: %v %v", c, e, plan)
					}
				}
			}

			// A customer who enters the segment while the drive runs is
			// enrolled by the next newcomers run (every NEWCOMERS_INTERVAL).
			newcomer := s.customerOf(repBo, nil)
			stacktest.Eventually(t, "the newcomer's enrolment", 60*time.Second, func() bool {
				r := s.api("GET", "/v1/campaigns/"+drive+"/enrolments?limit=200", mktMo, nil)
				for _, it := range r.JSON(t)["items"].([]any) {
					if e := it.(map[string]any); e["customer_id"] == newcomer {
						return e["source"] == "newcomers" && (e["group"] == "holdout" || e["touches"] == float64(1))
					}
				}
				return false
			})
			if l := s.must(200, "GET", "/v1/campaigns/"+drive, mktMo, nil)["launch"].(map[string]any); l["enrolled"] != launch["enrolled"] {
				t.Errorf("a newcomers run changed the launch's figures: %v, was %v", l, launch)
			}
			customers = append(customers, newcomer)

			mailing := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Newsletter", "type": "mailing",
				"channels": []string{"email"}, "segment": map[string]any{"owner_ids": []string{repBo}}, "email_subject": "News from us",
				"email_body": "Dear customer, …"}))["id"].(string)
			s.must(200, "POST", "/v1/campaigns/"+mailing+"/approve", mgrMona, nil)
			s.must(200, "POST", "/v1/campaigns/"+mailing+"/launch", mktMo, nil)
			stacktest.Eventually(t, "the mailing's launch finishes", 60*time.Second, func() bool {
				launch, _ = s.must(200, "GET", "/v1/campaigns/"+mailing, mktMo, nil)["launch"].(map[string]any)
				return launch != nil
			})
			if launch["enrolled"] != float64(0) || launch["skipped"] != float64(len(customers)) {
				t.Fatalf("the mailing took customers the visit drive keeps: %v", launch)
			}
		})
	}
}
