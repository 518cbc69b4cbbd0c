package console

import (
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// directoryPages bounds how much of the user directory a page reads (pages
// of 200): names only decorate ids, and the choosers that list people are
// for teams, not for a whole company's directory.
const directoryPages = 10

// Users is the part of the user directory the signed-in user may read (a
// manager: their teams' people; an administrator: everyone), at most
// 2,000 users. Reps and analysts may not read it: they get nothing, and
// pages show ids. A directory that does not answer gives what was read so
// far and is logged; it never fails a page.
func (d *Deps) Users(r *Request) []customerapi.UserView {
	if !r.X.Has("manager", "admin") {
		return nil
	}
	var out []customerapi.UserView
	limit := 200
	params := &customerapi.GetUsersParams{Limit: &limit}
	for range directoryPages {
		res, err := r.API.Customer.GetUsersWithResponse(r.Ctx(), params)
		if err := apis.Check(res, err); err != nil || res.JSON200 == nil {
			d.Log.WarnContext(r.C, "the user directory did not load; showing ids", "error", err)
			break
		}
		if res.JSON200.Items != nil {
			out = append(out, *res.JSON200.Items...)
		}
		if view.Str(res.JSON200.NextCursor) == "" {
			break
		}
		params.Cursor = res.JSON200.NextCursor
	}
	return out
}

// Names are the display names of users by id (those without a name are
// left out: pages show their ids).
func Names(users []customerapi.UserView) map[string]string {
	out := make(map[string]string, len(users))
	for _, u := range users {
		if n := view.Str(u.Name); n != "" {
			out[view.Str(u.Id)] = n
		}
	}
	return out
}
