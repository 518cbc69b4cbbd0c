package ports

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
)

// TestUserDirectoryFind pages through a team's users as the caller until it
// meets the id, and says "unavailable" when the customer service fails.
func TestUserDirectoryFind(t *testing.T) {
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.RawQuery)
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != "/v1/users" || r.URL.Query().Get("team") != "north" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		page := map[string]any{"items": []any{map[string]any{"id": "rep-a", "roles": []string{"rep"}, "teams": []string{"north"}}}, "next_cursor": "rep-a"}
		if r.URL.Query().Get("cursor") == "rep-a" {
			page = map[string]any{"items": []any{map[string]any{"id": "rep-b", "roles": []string{"rep"}, "teams": []string{"north", "east"}, "disabled": true}}}
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	d := NewUserDirectory(srv.URL + "/")
	ctx := httpx.WithBearer(context.Background(), "Bearer tok")

	u, err := d.Find(ctx, "rep-b", "north")
	if err != nil || u == nil || u.ID != "rep-b" || !u.Disabled || len(u.Teams) != 2 || len(calls) != 2 || calls[1] != "cursor=rep-a&limit=200&team=north" {
		t.Fatalf("found %+v, %v after %v", u, err, calls)
	}
	calls = nil
	if u, err := d.Find(ctx, "rep-z", "north"); u != nil || err != nil || len(calls) != 2 {
		t.Fatalf("not in the team: %+v, %v after %v", u, err, calls)
	}
	d.MaxPages = 1
	if u, err := d.Find(ctx, "rep-b", "north"); u != nil || err != nil {
		t.Fatalf("beyond the pages read: %+v, %v", u, err)
	}
	// Without the caller's token the customer service refuses: that is the
	// service failing, not an unknown user.
	var ae *apperr.Error
	if _, err := d.Find(context.Background(), "rep-a", "north"); !errors.As(err, &ae) || ae.Code != "customer_service_unavailable" || ae.Kind != apperr.KindUnavailable {
		t.Fatalf("refused: %v", err)
	}
	srv.Close()
	if _, err := d.Find(ctx, "rep-a", "north"); !errors.As(err, &ae) || ae.Code != "customer_service_unavailable" {
		t.Fatalf("down: %v", err)
	}
}
