package ports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	customerclient "github.com/closeloop/closeloop/services/customer/client"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// UserDirectory finds people in the customer service's user directory
// through its public API, GET /v1/users, as the caller (the bearer token
// httpx.ForwardBearer kept): the customer service shows a manager the users
// of its teams and an admin everyone, so a manager cannot find anyone
// outside its teams here either.
//
// The API has no look-up by id; a reassignment always knows the team the new
// owner must belong to, so Find pages through that team's users (200 a page)
// until it meets the id.
type UserDirectory struct {
	Base string
	HTTP *http.Client
	// MaxPages bounds the pages read for one look-up (a team of more than
	// MaxPages×200 people is not looked through to the end).
	MaxPages int
}

// NewUserDirectory returns the directory of the customer service at base.
func NewUserDirectory(base string) *UserDirectory {
	return &UserDirectory{Base: strings.TrimRight(base, "/"), MaxPages: 50,
		HTTP: &http.Client{Timeout: 5 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}}
}

type userPage struct {
	Items []struct {
		ID       string   `json:"id"`
		Roles    []string `json:"roles"`
		Teams    []string `json:"teams"`
		Disabled bool     `json:"disabled"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Find is the app's Users: the person with id among team's people, nil when
// the directory (as the caller sees it) has none.
func (d *UserDirectory) Find(ctx context.Context, id, team string) (*domain.User, error) {
	cursor := ""
	for range d.MaxPages {
		q := url.Values{"team": {team}, "limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page userPage
		if err := d.get(ctx, "/v1/users?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		for _, u := range page.Items {
			if u.ID == id {
				return &domain.User{ID: u.ID, Roles: u.Roles, Teams: u.Teams, Disabled: u.Disabled}, nil
			}
		}
		if page.NextCursor == "" {
			return nil, nil
		}
		cursor = page.NextCursor
	}
	return nil, nil
}

func (d *UserDirectory) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.Base+path, nil)
	if err != nil {
		return err
	}
	if tok := httpx.Bearer(ctx); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := d.HTTP.Do(req)
	if err != nil {
		return apperr.Unavailable(customerclient.CodeUnavailable, "the customer service did not answer; retry shortly").Wrap(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		// Managers and admins may read the directory; anything else is the
		// customer service failing.
		return apperr.Unavailable(customerclient.CodeUnavailable, "the customer service failed to list users; retry shortly").
			Wrap(fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return apperr.Unavailable(customerclient.CodeUnavailable, "the customer service answered something unexpected").Wrap(err)
	}
	return nil
}
