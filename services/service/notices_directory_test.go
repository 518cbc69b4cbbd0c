package service_test

import (
	"net/http"
	"testing"
	"time"

	aftersales "github.com/closeloop/closeloop/services/service"
)

// A notice's readers come from the customer service's user directory, as
// in production: the people of the organisation's teams whom the audience
// takes get it (the service department: svc-sam and svc-sue, not rep-ana),
// on both databases; a disabled person does not.
func TestNoticeReadersFromTheDirectory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			restore := aftersales.UseDirectoryForNotices()
			s := newStack(t, b.DSN)
			restore()
			s.register(svcSam, svcSue, svcOz, repAna)
			if r := s.call(s.customer.Base, "POST", "/v1/users/"+svcOz+"/disable", admin, map[string]any{}); r.status != http.StatusOK {
				t.Fatalf("disable %s: %d %s", svcOz, r.status, r.body)
			}
			n := s.must(http.StatusCreated, "POST", "/v1/notices", svcSue, map[string]any{"title": "New returns procedure",
				"body": "From Monday.", "audience": map[string]any{"departments": []string{"service"}},
				"valid_until": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)})
			id := n["id"].(string)
			s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/publish", svcSue, map[string]any{})
			has := func(user string) bool {
				for _, it := range s.must(http.StatusOK, "GET", "/v1/notices?box=unread", user, nil)["items"].([]any) {
					if it.(map[string]any)["id"] == id {
						return true
					}
				}
				return false
			}
			if !has(svcSam) {
				t.Errorf("%s (service) does not have the notice", svcSam)
			}
			if has(repAna) {
				t.Errorf("%s (sales) has a notice for service", repAna)
			}
			rc := s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts", svcSue, nil)
			for _, it := range rc["items"].([]any) {
				if it.(map[string]any)["reader_id"] == svcOz {
					t.Errorf("the disabled %s got a receipt", svcOz)
				}
			}
		})
	}
}
