package ports

import (
	"context"

	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// NoticeReaders resolves a published notice's readers against the user
// directory (app.NoticeWorkflows): the people of every team of the
// organisation (DEPARTMENTS), listed as the publisher through the customer
// service (GET /v1/people?team=), become receipts when the notice's audience
// takes them (the domain's rule, in Notices.AddReaders). People in no
// configured team get their receipts when they next list their notices (the
// late-reader sync from their token), as do people who join later.
type NoticeReaders struct {
	People  *PeopleAPI
	Org     domain.Org
	Notices *app.Notices
}

// Published stores the receipts of the directory's people in n's audience.
func (r NoticeReaders) Published(ctx context.Context, n domain.Notice) error {
	seen := map[string]bool{}
	for _, dept := range r.Org.Departments() {
		for _, team := range r.Org.TeamsOf(dept) {
			people, err := r.People.Team(ctx, team)
			if err != nil {
				return err
			}
			var readers []app.Reader
			for _, p := range people {
				if seen[p.ID] || !p.Enabled {
					continue
				}
				seen[p.ID] = true
				readers = append(readers, app.Reader{ID: p.ID, Name: p.Name, Roles: p.Roles, Teams: p.Teams})
			}
			if _, err := r.Notices.AddReaders(ctx, n.ID, readers); err != nil {
				return err
			}
		}
	}
	return nil
}
