package marketing_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// TestBadInput: every refusal is a clear 4xx with its code (and the field
// it names), and changes nothing — on both databases.
func TestBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, false)
			draft := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(nil))["id"].(string)
			approved := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Approved one"}))["id"].(string)
			s.must(200, "POST", "/v1/campaigns/"+approved+"/approve", mgrMona, nil)
			winback := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"type": "winback", "segment": map[string]any{}}))
			if st := winback["segment"].(map[string]any)["lifecycle_stages"]; fmt.Sprint(st) != "[lost]" {
				t.Fatalf("a win-back segment is lost customers only: %v", st)
			}
			customer := "0190d5c8-0000-7000-8000-000000000001"
			with := func(k string, v any) map[string]any { return campaign(map[string]any{k: v}) }
			manyIDs := strings.TrimSuffix(strings.Repeat(draft+",", 21), ",")
			// Unsubscribe links: one altered in transit, one expired, one
			// signed under another key.
			day, err := domain.NewUnsubscribeSigner(unsubscribeKey, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			valid, _ := day.Sign(customer, draft, time.Now())
			tampered := valid[:80] + "A" + valid[81:] // a character of the signature changed
			if valid[80] == 'A' {
				tampered = valid[:80] + "B" + valid[81:]
			}
			expired, _ := day.Sign(customer, draft, time.Now().Add(-25*time.Hour))
			other, _ := domain.NewUnsubscribeSigner(strings.Repeat("k", 40), 24*time.Hour)
			foreign, _ := other.Sign(customer, draft, time.Now())
			cases := []struct {
				name, method, path, user string
				body                     any
				status                   int
				code, field, fieldCode   string
			}{
				{"unknown segment field", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"colour": "red"}), 422, "validation_failed", "segment.colour", "unknown_field"},
				{"unknown value class", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"value_classes": []string{"D"}}), 422, "validation_failed", "segment.value_classes[0]", "invalid"},
				{"unknown loyalty level", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"loyalty_levels": []string{"at_risk", "gold"}}), 422, "validation_failed", "segment.loyalty_levels[1]", "invalid"},
				{"satisfaction minimum above the maximum", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"min_satisfaction": 4, "max_satisfaction": 3.5}), 422, "validation_failed", "segment.max_satisfaction", "below_min"},
				{"satisfaction below 1", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"min_satisfaction": 0.5}), 422, "validation_failed", "segment.min_satisfaction", "out_of_range"},
				{"satisfaction above 5", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"max_satisfaction": 6}), 422, "validation_failed", "segment.max_satisfaction", "out_of_range"},
				{"satisfaction as text", "POST", "/v1/campaigns", mktMo, with("segment", map[string]any{"min_satisfaction": "high"}), 422, "validation_failed", "segment.min_satisfaction", "invalid_type"},
				{"holdout above 50 %", "POST", "/v1/campaigns", mktMo, with("holdout", 0.6), 422, "validation_failed", "holdout", "out_of_range"},
				{"holdout below 0", "POST", "/v1/campaigns", mktMo, with("holdout", -0.1), 422, "validation_failed", "holdout", "out_of_range"},
				{"negative budget", "POST", "/v1/campaigns", mktMo, with("budget", -1), 422, "validation_failed", "budget", "out_of_range"},
				{"ends before it starts", "POST", "/v1/campaigns", mktMo, with("ends_on", "2025-12-31"), 422, "validation_failed", "ends_on", "before_start"},
				{"not a date", "POST", "/v1/campaigns", mktMo, with("starts_on", "5 January"), 422, "validation_failed", "starts_on", "invalid"},
				{"unknown type", "POST", "/v1/campaigns", mktMo, with("type", "billboard"), 422, "validation_failed", "type", "invalid"},
				{"unknown channel", "POST", "/v1/campaigns", mktMo, with("channels", []string{"fax"}), 422, "validation_failed", "channels[0]", "invalid"},
				{"win-back segment of transacting customers", "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"type": "winback",
					"segment": map[string]any{"lifecycle_stages": []string{"transacting"}}}), 422, "validation_failed", "segment.lifecycle_stages", "winback_lost_only"},
				{"unknown body field", "POST", "/v1/campaigns", mktMo, with("colour", "red"), 400, "", "", ""},
				{"a sales rep plans a campaign", "POST", "/v1/campaigns", repAna, campaign(nil), 403, "campaign_create_not_allowed", "", ""},
				{"an analyst plans a campaign", "POST", "/v1/campaigns", analyst, campaign(nil), 403, "campaign_create_not_allowed", "", ""},
				{"a sales rep reads a campaign", "GET", "/v1/campaigns/" + draft, repAna, nil, 404, "campaign_not_found", "", ""},
				{"a service rep reads a campaign", "GET", "/v1/campaigns/" + draft, svcSam, nil, 404, "campaign_not_found", "", ""},
				{"launching without approval", "POST", "/v1/campaigns/" + draft + "/launch", mktMo, nil, 422, "approval_required", "", ""},
				{"a marketer approves", "POST", "/v1/campaigns/" + draft + "/approve", mktMay, nil, 403, "not_marketing_manager", "", ""},
				{"another team's manager approves", "POST", "/v1/campaigns/" + draft + "/approve", mgrNico, nil, 403, "not_marketing_manager", "", ""},
				{"a sales manager approves", "POST", "/v1/campaigns/" + draft + "/approve", mgrMia, nil, 404, "campaign_not_found", "", ""},
				{"approving twice", "POST", "/v1/campaigns/" + approved + "/approve", mgrMona, nil, 422, "state_unchanged", "", ""},
				{"completing an approved campaign", "POST", "/v1/campaigns/" + approved + "/complete", mgrMona, nil, 422, "invalid_transition", "", ""},
				{"editing an approved campaign", "PUT", "/v1/campaigns/" + approved, mktMo, campaign(nil), 422, "not_editable", "", ""},
				{"editing a stale version", "PUT", "/v1/campaigns/" + draft, mktMo, with("expected_version", 7), 409, "version_conflict", "", ""},
				{"an analyst edits", "PUT", "/v1/campaigns/" + draft, analyst, campaign(nil), 403, "campaign_read_only", "", ""},
				{"editing a draft's satisfaction out of range", "PUT", "/v1/campaigns/" + draft, mktMo, with("segment", map[string]any{"loyalty_levels": []string{"loyal"}, "min_satisfaction": 5.5}), 422, "validation_failed", "segment.min_satisfaction", "out_of_range"},
				{"a cost on a draft", "POST", "/v1/campaigns/" + draft + "/costs", mktMo, map[string]any{"amount": 10, "spent_on": "2026-02-01"}, 422, "cost_not_allowed", "", ""},
				{"a negative cost", "POST", "/v1/campaigns/" + approved + "/costs", mktMo, map[string]any{"amount": -10, "spent_on": "2026-02-01"}, 422, "validation_failed", "amount", "out_of_range"},
				{"a cost without a date", "POST", "/v1/campaigns/" + approved + "/costs", mktMo, map[string]any{"amount": 10}, 422, "validation_failed", "spent_on", "required"},
				{"enrolling into a campaign not running", "POST", "/v1/campaigns/" + draft + "/enrolments", mktMo, map[string]any{"customer_id": customer}, 422, "campaign_not_running", "", ""},
				{"enrolling a malformed customer id", "POST", "/v1/campaigns/" + draft + "/enrolments", mktMo, map[string]any{"customer_id": "nope"}, 422, "validation_failed", "customer_id", "invalid"},
				{"an analyst records an opt-out", "PUT", "/v1/opt-outs/" + customer, analyst, nil, 403, "campaign_read_only", "", ""},
				{"a sales rep records an opt-out", "PUT", "/v1/opt-outs/" + customer, repAna, nil, 404, "campaign_not_found", "", ""},
				{"an opt-out of a malformed id", "PUT", "/v1/opt-outs/nope", mktMo, nil, 422, "validation_failed", "customer_id", "invalid"},
				{"removing an opt-out nobody recorded", "DELETE", "/v1/opt-outs/" + customer, mktMo, nil, 404, "opt_out_not_found", "", ""},
				{"a bad state filter", "GET", "/v1/campaigns?state=live", mktMo, nil, 400, "invalid_query", "state", "invalid"},
				{"a bad limit", "GET", "/v1/campaigns?limit=0", mktMo, nil, 400, "invalid_query", "limit", "invalid"},
				{"comparing 21 campaigns", "GET", "/v1/campaigns/compare?id=" + manyIDs, mktMo, nil, 400, "invalid_query", "ids", "too_many"},
				{"comparing nothing", "GET", "/v1/campaigns/compare", mktMo, nil, 400, "invalid_query", "ids", "required"},
				{"a bad enrolment group", "GET", "/v1/campaigns/" + draft + "/enrolments?group=control", mktMo, nil, 400, "invalid_query", "group", "invalid"},
				{"a preview's unknown segment field", "POST", "/v1/campaigns/preview", mktMo, map[string]any{"segment": map[string]any{"colour": "red"}}, 422, "validation_failed", "segment.colour", "unknown_field"},
				{"a preview's unknown loyalty level", "POST", "/v1/campaigns/preview", mktMo, map[string]any{"segment": map[string]any{"loyalty_levels": []string{"vip"}}}, 422, "validation_failed", "segment.loyalty_levels[0]", "invalid"},
				{"no token", "GET", "/v1/campaigns", "", nil, 401, "", "", ""},
				{"an email campaign without a subject", "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"channels": []string{"email", "phone_call"},
					"email_body": "Dear customer"}), 422, "validation_failed", "email_subject", "required"},
				{"a win-back campaign with the email channel but no email", "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"type": "winback",
					"segment": map[string]any{}, "channels": []string{"phone_call", "email"}}), 422, "validation_failed", "email_subject", "required"},
				{"an email campaign without a body", "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"channels": []string{"email"},
					"email_subject": "Spring offer"}), 422, "validation_failed", "email_body", "required"},
				{"an email subject on two lines", "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"channels": []string{"email"},
					"email_subject": "Spring\nBcc: all@example.com", "email_body": "Dear customer"}), 422, "validation_failed", "email_subject", "invalid"},
				{"a tampered unsubscribe link", "POST", "/public/v1/unsubscribe/" + tampered, "", nil, 400, "unsubscribe_link_invalid", "", ""},
				{"a tampered unsubscribe link's page", "POST", "/unsubscribe/" + tampered, "", nil, 400, "", "", ""},
				{"an unsubscribe link of another key", "POST", "/public/v1/unsubscribe/" + foreign, "", nil, 400, "unsubscribe_link_invalid", "", ""},
				{"a cut unsubscribe link", "POST", "/public/v1/unsubscribe/" + valid[:60], "", nil, 400, "unsubscribe_link_invalid", "", ""},
				{"an expired unsubscribe link", "POST", "/public/v1/unsubscribe/" + expired, "", nil, 410, "unsubscribe_link_expired", "", ""},
				{"an expired unsubscribe link's page", "POST", "/unsubscribe/" + expired, "", nil, 410, "", "", ""},
			}
			for _, tc := range cases {
				before := s.rows()
				r := s.api(tc.method, tc.path, tc.user, tc.body)
				if r.Status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
					continue
				}
				if tc.code != "" && r.Code(t) != tc.code {
					t.Errorf("%s: code %q, want %q (%s)", tc.name, r.Code(t), tc.code, r.Body)
				}
				if tc.field != "" && r.Fields(t)[tc.field] != tc.fieldCode {
					t.Errorf("%s: fields %v, want %s=%s", tc.name, r.Fields(t), tc.field, tc.fieldCode)
				}
				if after := s.rows(); !maps.Equal(before, after) {
					t.Errorf("%s: changed the store: %v → %v", tc.name, before, after)
				}
			}
			// A win-back cadence whose steps do not increase is refused by
			// the follow-up engine, where analysts tune it.
			r := s.call(s.followup.Base, "POST", "/v1/policies/winback.cadence/versions", analyst, map[string]any{"value": map[string]any{
				"ladder": map[string]any{"clock": "calendar", "steps": []any{map[string]any{"after": "0m", "action": "call"},
					map[string]any{"after": "14d", "action": "visit"}, map[string]any{"after": "14d", "action": "offer"}}}}, "reason": "x"})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "not_increasing") {
				t.Errorf("a cadence with non-increasing steps: %d %s", r.Status, r.Body)
			}
		})
	}
}
