// Package customers is the console's customer list: the customers in the
// user's scope, searched and filtered as the customer service allows, a page
// at a time, each linking to its customer 360 page.
package customers

import (
	"embed"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Stages and classes the filters offer (the customer service's values).
var (
	Stages  = []string{"lead", "prospect", "transacting", "service", "lost"}
	Classes = []string{"A", "B", "C"}
	Sorts   = []string{"name", "-value_score", "-updated_at", "-created_at"}
)

const pageSize = 50

// Mount adds /customers.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("customers", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/list.html")}
	e.GET("/customers", append(d.Guard(view.RolesCustomers...), h.list)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
}

// Filter is the list's filter as the user set it.
type Filter struct {
	Q, Stage, Class, Owner, Team, Region, Sort string
}

type listData struct {
	*view.Ctx
	Filter    Filter
	Items     []customerapi.CustomerView
	Next      string
	Stages    []string
	Classes   []string
	Sorts     []string
	CanExport bool
	// Names are the owners' display names the user may read, by id.
	Names map[string]string
}

// Owner is an owner's name, or the id when the directory does not give it
// (reps and analysts do not read the directory: their own name is known).
func (d listData) Owner(id *string) string {
	if n := d.Names[view.Str(id)]; n != "" {
		return n
	}
	return view.Str(id)
}

// FilterFrom reads the filter from the query, dropping values the service
// would refuse (so a hand-edited link shows the unfiltered list, not an
// error page).
func FilterFrom(c *gin.Context) Filter {
	f := Filter{Q: strings.TrimSpace(c.Query("q")), Owner: strings.TrimSpace(c.Query("owner_id")),
		Team: strings.TrimSpace(c.Query("team")), Region: strings.TrimSpace(c.Query("region"))}
	if v := c.Query("lifecycle_stage"); slices.Contains(Stages, v) {
		f.Stage = v
	}
	if v := c.Query("value_class"); slices.Contains(Classes, v) {
		f.Class = v
	}
	if v := c.Query("sort"); slices.Contains(Sorts, v) {
		f.Sort = v
	}
	return f
}

// Params turns the filter into the customer service's list parameters.
func (f Filter) Params(limit int, cursor string) *customerapi.GetCustomersParams {
	p := &customerapi.GetCustomersParams{Limit: &limit}
	set := func(dst **string, v string) {
		if v != "" {
			*dst = &v
		}
	}
	set(&p.Q, f.Q)
	set(&p.OwnerId, f.Owner)
	set(&p.Team, f.Team)
	set(&p.Region, f.Region)
	set(&p.Cursor, cursor)
	if f.Stage != "" {
		s := customerapi.GetCustomersParamsLifecycleStage(f.Stage)
		p.LifecycleStage = &s
	}
	if f.Class != "" {
		c := customerapi.GetCustomersParamsValueClass(f.Class)
		p.ValueClass = &c
	}
	if f.Sort != "" {
		s := customerapi.GetCustomersParamsSort(f.Sort)
		p.Sort = &s
	}
	return p
}

func (h *handler) list(c *gin.Context) {
	r := h.d.Req(c)
	f := FilterFrom(c)
	res, err := r.API.Customer.GetCustomersWithResponse(r.Ctx(), f.Params(pageSize, c.Query("cursor")))
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return
	}
	r.X.Title = r.X.T("customers.title")
	data := listData{Ctx: r.X, Filter: f, Stages: Stages, Classes: Classes, Sorts: Sorts,
		CanExport: r.X.Has(view.RolesImport...), Names: console.Names(h.d.Users(r))}
	if r.User.Name != "" {
		data.Names[r.User.Subject] = r.User.Name
	}
	if res.JSON200 != nil {
		if res.JSON200.Items != nil {
			data.Items = *res.JSON200.Items
		}
		data.Next = view.Str(res.JSON200.NextCursor)
	}
	if r.X.HX && c.GetHeader("HX-Target") == "customer-rows" {
		h.page.Partial(c, http.StatusOK, "rows", data)
		return
	}
	h.page.Render(c, http.StatusOK, data)
}
