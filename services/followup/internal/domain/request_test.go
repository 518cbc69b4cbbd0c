package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestOpenRequestCheck(t *testing.T) {
	now := t0
	in := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	ok := domain.OpenRequest{Kind: "callback", CustomerID: "c1"}
	for _, c := range []struct {
		name string
		mod  func(*domain.OpenRequest)
		want string
	}{
		{"valid", func(*domain.OpenRequest) {}, ""},
		{"a due time tomorrow", func(r *domain.OpenRequest) { r.DueAt = in(24 * time.Hour) }, ""},
		{"no kind, no customer", func(r *domain.OpenRequest) { r.Kind, r.CustomerID = "", "" }, "kind:required,customer_id:required"},
		{"an unknown kind", func(r *domain.OpenRequest) { r.Kind = "lunch" }, "kind:invalid"},
		{"a notice's acknowledgement (opened by its workflow)", func(r *domain.OpenRequest) { r.Kind = "notice_ack" }, "kind:not_allowed"},
		{"a title of 301 runes", func(r *domain.OpenRequest) { r.Title = strings.Repeat("é", 301) }, "title:too_long"},
		{"a title of 300 runes", func(r *domain.OpenRequest) { r.Title = strings.Repeat("é", 300) }, ""},
		{"long owner and key", func(r *domain.OpenRequest) {
			r.OwnerID, r.IdempotencyKey = strings.Repeat("o", 201), strings.Repeat("k", 201)
		}, "owner_id:too_long,Idempotency-Key:too_long"},
		{"due now is in the past", func(r *domain.OpenRequest) { r.DueAt = in(0) }, "due_at:in_the_past"},
		{"due in three years", func(r *domain.OpenRequest) { r.DueAt = in(3 * 365 * 24 * time.Hour) }, "due_at:out_of_range"},
	} {
		r := ok
		c.mod(&r)
		kind, err := r.Check(now)
		if got := fields(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if err == nil && kind.Name != r.Kind {
			t.Errorf("%s: kind %+v", c.name, kind)
		}
	}
}

func TestPolicyKeyFor(t *testing.T) {
	care, _ := policy.LookupKind(policy.KindCareContact)
	callback, _ := policy.LookupKind("callback")
	due := t0.Add(time.Hour)
	for _, c := range []struct {
		name       string
		kind       policy.Kind
		key, class string
		due        *time.Time
		want, err  string
	}{
		{"care: the customer's class", care, "", "B", nil, "B", ""},
		{"care: the key given wins", care, "A", "B", nil, "A", ""},
		{"care: no class, no key", care, "", "", nil, "", "policy_key:invalid"},
		{"care: not a key of the table", care, "Z", "B", nil, "", "policy_key:invalid"},
		{"a timer policy takes no key", callback, "", "A", nil, "", ""},
		{"a timer policy refuses a key", callback, "A", "", nil, "", "policy_key:not_allowed"},
		{"a due time given: the key is kept as is", callback, "A", "", &due, "A", ""},
		{"a due time given: no key needed", care, "", "B", &due, "", ""},
	} {
		r := domain.OpenRequest{Kind: c.kind.Name, CustomerID: "c1", PolicyKey: c.key, DueAt: c.due}
		got, err := r.PolicyKeyFor(c.kind, c.class)
		if got != c.want || fields(err) != c.err {
			t.Errorf("%s: %q %q, want %q %q", c.name, got, fields(err), c.want, c.err)
		}
	}
}

func TestFollowUpID(t *testing.T) {
	a, b := domain.FollowUpID("rep-ana", "k1"), domain.FollowUpID("rep-ana", "k1")
	if a != b || a == domain.FollowUpID("rep-bo", "k1") || a == domain.FollowUpID("rep-ana", "k2") {
		t.Errorf("keyed ids: %s %s", a, b)
	}
	if domain.FollowUpID("rep-ana", "") == domain.FollowUpID("rep-ana", "") {
		t.Error("ids without a key repeat")
	}
}
