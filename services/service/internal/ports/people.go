package ports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	customerclient "github.com/closeloop/closeloop/services/customer/client"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// PeopleAPI looks people up in the user directory, which the customer
// service keeps (GET /v1/people/{userId}: any colleague may read a person's
// name, teams, roles and whether they are enabled), as the caller.
type PeopleAPI struct {
	Base string
	HTTP *http.Client
}

// NewPeopleAPI returns a client of the customer service's directory at base.
func NewPeopleAPI(base string) *PeopleAPI {
	return &PeopleAPI{Base: strings.TrimRight(base, "/"),
		HTTP: &http.Client{Timeout: 5 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}}
}

type personJSON struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Teams   []string `json:"teams"`
	Roles   []string `json:"roles"`
	Enabled bool     `json:"enabled"`
}

// Lookup is the use cases' people look-up: the people the directory knows,
// by id (an unknown id is absent).
func (p *PeopleAPI) Lookup(ctx context.Context, ids []string) (map[string]domain.Person, error) {
	out := make(map[string]domain.Person, len(ids))
	for _, id := range ids {
		person, found, err := p.one(ctx, id)
		if err != nil {
			return nil, err
		}
		if found {
			out[id] = person
		}
	}
	return out, nil
}

func (p *PeopleAPI) one(ctx context.Context, id string) (domain.Person, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Base+"/v1/people/"+url.PathEscape(id), nil)
	if err != nil {
		return domain.Person{}, false, err
	}
	if tok := httpx.Bearer(ctx); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return domain.Person{}, false, apperr.Unavailable(customerclient.CodeUnavailable, "the user directory did not answer; retry shortly").Wrap(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return domain.Person{}, false, nil
	default:
		return domain.Person{}, false, apperr.Unavailable(customerclient.CodeUnavailable, "the user directory failed; retry shortly").
			Wrap(fmt.Errorf("GET person %s: %d %s", id, resp.StatusCode, body))
	}
	var v personJSON
	if err := json.Unmarshal(body, &v); err != nil {
		return domain.Person{}, false, apperr.Unavailable(customerclient.CodeUnavailable, "the user directory answered something unexpected").Wrap(err)
	}
	return domain.Person{ID: v.ID, Name: v.Name, Teams: v.Teams, Manager: slices.Contains(v.Roles, "manager"), Enabled: v.Enabled}, true, nil
}

// Team lists the enabled people of a team (GET /v1/people?team=, every page).
func (p *PeopleAPI) Team(ctx context.Context, team string) ([]personJSON, error) {
	var out []personJSON
	cursor := ""
	for {
		q := url.Values{"team": {team}, "limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Base+"/v1/people?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		if tok := httpx.Bearer(ctx); tok != "" {
			req.Header.Set("Authorization", tok)
		}
		resp, err := p.HTTP.Do(req)
		if err != nil {
			return nil, apperr.Unavailable(customerclient.CodeUnavailable, "the user directory did not answer; retry shortly").Wrap(err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, apperr.Unavailable(customerclient.CodeUnavailable, "the user directory failed; retry shortly").
				Wrap(fmt.Errorf("GET people of team %s: %d %s", team, resp.StatusCode, body))
		}
		var page struct {
			Items      []personJSON `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, apperr.Unavailable(customerclient.CodeUnavailable, "the user directory answered something unexpected").Wrap(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" || len(page.Items) == 0 && page.NextCursor == cursor {
			return out, nil
		}
		cursor = page.NextCursor
	}
}
