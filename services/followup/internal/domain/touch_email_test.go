package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// TestTouchEmail: a touch's delivery is named by the touch alone (handed
// over twice, it is one delivery), pending, to the customer at the
// contact's address, in the footer's language; a malformed email is
// refused field by field.
func TestTouchEmail(t *testing.T) {
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	c, err := domain.NewTouchContent("camp-1", "Spring", "春季优惠", "尊敬的客户：…", "zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	cust := "0190d5c8-0000-7000-8000-000000000001"
	e, err := domain.NewTouchEmail("", "touch-1", cust, 0, "buyer@acme.example", "Li Wei", "https://crm.example.com/unsubscribe/abc", c, now)
	if err != nil {
		t.Fatal(err)
	}
	if e.DeliveryID != domain.TouchDeliveryID("touch-1") || e.DeliveryID == domain.TouchDeliveryID("touch-2") || e.ContentID != c.ID {
		t.Errorf("ids %+v", e)
	}
	d := e.Delivery(c)
	if d.Kind != domain.KindTouch || d.Channel != domain.ChannelEmail || d.Target != cust || d.Address != "buyer@acme.example" ||
		d.Status != domain.DeliveryPending || d.Language != "zh-Hans" || d.NotificationID != "" || d.FollowUpID != "" {
		t.Errorf("delivery %+v", d)
	}
	// Deferred by the contact pressure: held until then; an instant past is at once.
	later, past := now.Add(48*time.Hour), now.Add(-time.Minute)
	e.NotBefore = &later
	if h := e.Delivery(c); h.Status != domain.DeliveryHeld || h.Reason != domain.ReasonContactPressure || !h.NotBefore.Equal(later) {
		t.Errorf("deferred: %+v", h)
	}
	e.NotBefore = &past
	if h := e.Delivery(c); h.Status != domain.DeliveryPending || h.NotBefore != nil {
		t.Errorf("deferred to the past: %+v", h)
	}
	if c2, _ := domain.NewTouchContent("camp-1", "Spring", "春季优惠", "尊敬的客户：…", "fr"); c2.Language != "en" || c2.ID == c.ID {
		t.Errorf("another language: %+v", c2)
	}

	for name, tc := range map[string]struct {
		touch, customer, address, name, url string
		field                               string
	}{
		"no touch":          {"", cust, "a@b.example", "", "https://x.example/u", "touch_id"},
		"customer no UUID":  {"t", "acme", "a@b.example", "", "https://x.example/u", "customer_id"},
		"not an address":    {"t", cust, "not an address", "", "https://x.example/u", "address"},
		"a named address":   {"t", cust, "Li <a@b.example>", "", "https://x.example/u", "address"},
		"name on two lines": {"t", cust, "a@b.example", "Li\r\nBcc: x", "https://x.example/u", "name"},
		"relative link":     {"t", cust, "a@b.example", "", "/unsubscribe/x", "unsubscribe_url"},
		"javascript link":   {"t", cust, "a@b.example", "", "javascript:alert(1)", "unsubscribe_url"},
	} {
		_, err := domain.NewTouchEmail("emails[0].", tc.touch, tc.customer, 0, tc.address, tc.name, tc.url, c, now)
		e := apperr.From(err)
		if err == nil || len(e.Fields) != 1 || e.Fields[0].Field != "emails[0]."+tc.field {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, tc := range map[string][3]string{
		"no subject":             {"camp-1", " ", "body"},
		"subject on two lines":   {"camp-1", "a\nb", "body"},
		"no body":                {"camp-1", "s", ""},
		"body over 10,000":       {"camp-1", "s", strings.Repeat("b", 10001)},
		"no campaign":            {"", "s", "body"},
		"campaign id overlong":   {strings.Repeat("c", 37), "s", "body"},
		"subject over 200 chars": {"camp-1", strings.Repeat("s", 201), "body"},
	} {
		if _, err := domain.NewTouchContent(tc[0], "", tc[1], tc[2], "en"); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}
