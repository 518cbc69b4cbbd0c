package slips

import (
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Part is one recipient's part as the slip page shows it.
type Part struct {
	serviceapi.RecipientView
	N     int
	Label string
	// Mine: the part is the viewer's to act on.
	Mine bool
}

// Entry is one timeline entry as the page shows it.
type Entry struct {
	serviceapi.SlipEntryView
	Label, Actor string
	// Part names the part the entry is about ("" the whole slip).
	Part string
	// Detail says what changed (to whom it was routed, forwarded,
	// re-routed, added), in the user's language.
	Detail string
}

type slipData struct {
	*view.Ctx
	Slip            serviceapi.SlipView
	Customer        string
	CustomerLink    bool
	Sender          string
	Parts           []Part
	Done, Counted   int
	Timeline        []Entry
	TimelineNext    string
	TimelineProblem *view.Problem
	Notice          string
	// Decides: the viewer decides as the sender (the originator, a
	// manager of one of the originator's teams, an admin).
	Decides bool
	// Board: the viewer may open a follow-up on the overdue board.
	Board bool
	// People are the route form's choices, by part number (none: the
	// form takes a user id).
	People map[int][]Option
	// Act is the form whose change was refused, as the user filled it.
	Act *Action
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.load(r, c.Param("id"))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if done := r.X.Q("done"); done != "" {
		d.Notice = orID(r.X, "slips.done."+done, "")
	}
	h.detail.Render(c, http.StatusOK, d)
}

// load reads the slip, its timeline, its customer's name and, for the
// route forms the viewer is offered, the people of each part's team: what
// the slip page shows.
func (h *handler) load(r *console.Request, id string) (*slipData, error) {
	x := r.X
	ctx := r.C.Request.Context()
	res, err := r.API.Service.GetSlipsByIdWithResponse(ctx, id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	s := *res.JSON200
	x.Title = str(s.Subject)
	d := &slipData{Ctx: x, Slip: s, Decides: Decides(x, s), Board: x.Has("manager", "admin"), People: map[int][]Option{},
		Sender: str(s.OriginatorName)}
	if d.Sender == "" {
		d.Sender = str(s.OriginatorId)
	}
	d.Done, d.Counted = progress(s)
	names := map[string]string{str(s.OriginatorId): d.Sender}
	for _, p := range deref(s.Recipients) {
		part := Part{RecipientView: p, N: deref(p.N), Label: partLabel(x, p), Mine: r.User.Subject != "" && str(p.UserId) == r.User.Subject}
		d.Parts = append(d.Parts, part)
		if n := str(p.UserName); n != "" {
			names[str(p.UserId)] = n
		}
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	wg.Go(func() {
		tres, err := r.API.Service.GetSlipsByIdTimelineWithResponse(ctx, id,
			&serviceapi.GetSlipsByIdTimelineParams{Limit: ptr(timelineSize), Cursor: opt(x.Q("cursor"))})
		if err := apis.Check(tres, err); err != nil {
			d.TimelineProblem = problem(x, err)
			return
		}
		if next := str(tres.JSON200.NextCursor); next != "" {
			d.TimelineNext = x.PageURL(next) + "#timeline"
		}
		for _, e := range deref(tres.JSON200.Items) {
			d.Timeline = append(d.Timeline, Entry{SlipEntryView: e, Label: orID(x, "slips.kind."+str(e.Kind), str(e.Kind))})
		}
	})
	wg.Go(func() {
		d.Customer = customerName(nil, str(s.CustomerId), str(s.CustomerName))
		cres, err := r.API.Customer.GetCustomersByIdWithResponse(ctx, str(s.CustomerId))
		if apis.Check(cres, err) == nil && cres.JSON200 != nil {
			d.Customer, d.CustomerLink = str(cres.JSON200.Name), true
		}
	})
	for _, p := range d.Parts {
		if d.Offers(FormRoute, p.N) {
			wg.Go(func() {
				people := peopleOf(ctx, r, str(p.Team))
				mu.Lock()
				d.People[p.N] = people
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if r.User.Name != "" {
		names[r.User.Subject] = r.User.Name
	}
	for i := range d.Timeline {
		e := &d.Timeline[i]
		e.Actor = nameOr(names, str(e.SlipEntryView.Actor))
		if n := deref(e.Recipient); n > 0 {
			e.Part = d.PartName(n)
		}
		e.Detail = d.entryDetail(e.SlipEntryView, names)
	}
	return d, nil
}

// Decides reports whether the viewer decides for the sender — the
// service's rule (SlipScope.CheckOp) on what the session knows: the
// originator, a manager of a team the originator was in, an admin.
func Decides(x *view.Ctx, s serviceapi.SlipView) bool {
	u := x.User
	switch {
	case u == nil:
		return false
	case u.Has("admin"), u.Subject != "" && str(s.OriginatorId) == u.Subject:
		return true
	}
	return u.Has("manager") && slices.ContainsFunc(deref(s.OriginatorTeams), func(t string) bool { return slices.Contains(u.Teams, t) })
}

// Routes reports whether the viewer may route part p to a person: a
// manager of the part's team, or an admin.
func Routes(x *view.Ctx, p serviceapi.RecipientView) bool {
	u := x.User
	return u != nil && (u.Has("admin") || (u.Has("manager") && str(p.Team) != "" && slices.Contains(u.Teams, str(p.Team))))
}

// Attachments are the slip's attachments (none: no section).
func (d *slipData) Attachments() []serviceapi.AttachmentView { return deref(d.Slip.Attachments) }

// Int is a number the API may leave out (0 then).
func (d *slipData) Int(p *int) int { return deref(p) }

// PartName is "#n" with the part's label.
func (d *slipData) PartName(n int) string {
	for _, p := range d.Parts {
		if p.N == n {
			return d.T("slips.part.name", "N", n, "Label", p.Label)
		}
	}
	return d.T("slips.part.number", "N", n)
}

// entryDetail says what an entry changed: to whom a part was routed, to
// which part it was forwarded or re-routed, who was added.
func (d *slipData) entryDetail(e serviceapi.SlipEntryView, names map[string]string) string {
	switch str(e.Kind) {
	case "routed":
		if from := str(e.From); from != "" {
			return d.T("slips.detail.rerouted_person", "From", nameOr(names, from), "To", nameOr(names, str(e.To)))
		}
		return d.T("slips.detail.routed", "To", nameOr(names, str(e.To)))
	case "forwarded", "rerouted":
		if n, err := strconv.Atoi(str(e.To)); err == nil {
			return d.T("slips.detail.to_part", "Part", d.PartName(n))
		}
	case "added":
		return d.T("slips.detail.added", "To", str(e.To))
	}
	return ""
}

// nameOr is a person's name when the page knows it, else the id; the
// workflow's entries say "automatic".
func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}
