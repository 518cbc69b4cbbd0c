// Package analytics is the console's analytics page for managers, analysts
// and administrators: the customers of the user's scope by ABC value class
// with their share of value (a Pareto chart of the 80/20 rule), by
// lifecycle and relationship stage, the care coverage of each class (the
// share of its customers contacted within their care cadence), and per team
// the follow-ups closed on time week by week (or month by month) in the
// user's time zone. The services scope the numbers: a manager sees the
// teams they manage, analysts and administrators every team. Charts are SVG
// drawn on the server (chart.go) with their numbers in a table beside them.
package analytics

import (
	"embed"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Mount adds /analytics.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("analytics", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/analytics.html", "templates/chart.html")}
	e.GET("/analytics", append(d.Guard(view.RolesAnalytics...), h.show)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
}

// Filter is what the user chose: the on-time statistics' period length and
// one team (empty: every team of their scope).
type Filter struct {
	Bucket, Team string
}

// FilterFrom reads the filter from the query; an unknown period length is
// the default (weeks), so a hand-edited link shows the page, not an error.
// The team goes to the services as typed (they judge it).
func FilterFrom(c *gin.Context) Filter {
	f := Filter{Bucket: "week", Team: strings.TrimSpace(c.Query("team"))}
	if b := c.Query("bucket"); slices.Contains(Buckets, b) {
		f.Bucket = b
	}
	return f
}

// pageData is the page: each section shows its numbers or why they could
// not be read (the other sections still show).
type pageData struct {
	*view.Ctx
	Filter  Filter
	Buckets []string
	Teams   []string
	// AllTeams: the user sees every team (analysts, administrators).
	AllTeams bool
	OnTime   *OnTime
	// OnTimeProblem is why the on-time section could not load.
	OnTimeProblem *view.Problem
	Customers     *CustomerPart
	// CustomersProblem is why the customers' figures could not load.
	CustomersProblem *view.Problem
	Coverage         *CoveragePart
	// CoverageProblem is why the care coverage could not load.
	CoverageProblem *view.Problem
	// TeamProblem is a service's refusal of the team filter, shown above
	// the filters with its message next to the team field.
	TeamProblem *view.Problem
	// Periods is how many weeks or months the on-time section covers.
	Periods int
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	f := FilterFrom(c)
	from, to := Range(r.X.Now(), r.X.TZ, f.Bucket)
	data := pageData{Ctx: r.X, Filter: f, Buckets: Buckets, AllTeams: r.X.Has("analyst", "admin"), Periods: Periods}

	// The three services' figures are read at once; a section that fails
	// says why and the others still show.
	var (
		wg                          sync.WaitGroup
		stats                       *followupapi.OnTimeStats
		custs                       *customerapi.CustomerAnalytics
		cover                       *customerapi.CareCoverage
		statsErr, custErr, coverErr error
	)
	var team *string
	if f.Team != "" {
		team = &f.Team
	}
	wg.Go(func() { stats, statsErr = h.onTime(r, f, from, to) })
	wg.Go(func() {
		res, err := r.API.Customer.GetAnalyticsCustomersWithResponse(r.Ctx(), &customerapi.GetAnalyticsCustomersParams{Team: team})
		if custErr = apis.Check(res, err); custErr == nil {
			custs = res.JSON200
		}
	})
	wg.Go(func() {
		res, err := r.API.Customer.GetAnalyticsCareCoverageWithResponse(r.Ctx(), &customerapi.GetAnalyticsCareCoverageParams{Team: team})
		if coverErr = apis.Check(res, err); coverErr == nil {
			cover = res.JSON200
		}
	})
	wg.Wait()

	// A service that refused the team says so once, next to the team
	// field; any other failure shows in its section.
	status := http.StatusOK
	problem := func(err error) *view.Problem {
		p := r.X.ProblemOf(err)
		status = max(status, p.Status)
		if p.Field("team") != "" {
			if data.TeamProblem == nil {
				data.TeamProblem = p
			}
			return nil
		}
		return p
	}
	if h.signInAgain(r, statsErr, custErr, coverErr) {
		return
	}
	if statsErr != nil {
		data.OnTimeProblem = problem(statsErr)
	} else {
		data.OnTime = onTimeOf(r.X, stats, f.Bucket, from, to)
	}
	if custErr != nil {
		data.CustomersProblem = problem(custErr)
	} else {
		data.Customers = customersOf(r.X, custs)
	}
	if coverErr != nil {
		data.CoverageProblem = problem(coverErr)
	} else {
		data.Coverage = coverageOf(r.X, cover)
	}
	data.Teams = teamChoices(r, f, data.OnTime)
	r.X.Title = r.X.T("analytics.title")
	if r.X.HX && c.GetHeader("HX-Target") == "analytics-body" {
		h.page.Partial(c, status, "body", data)
		return
	}
	h.page.Render(c, status, data)
}

// onTime reads the follow-up service's on-time statistics for the filter's
// range in the user's time zone.
func (h *handler) onTime(r *console.Request, f Filter, from, to time.Time) (*followupapi.OnTimeStats, error) {
	tz := r.X.TZ.String()
	p := &followupapi.GetFollowUpsStatsOnTimeParams{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Bucket: &f.Bucket, Tz: &tz}
	if f.Team != "" {
		p.Team = &f.Team
	}
	res, err := r.API.FollowUp.GetFollowUpsStatsOnTimeWithResponse(r.Ctx(), p)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	return res.JSON200, nil
}

// signInAgain hands the request to Fail when a service no longer accepts
// the session's token (Fail sends the user to sign in again).
func (h *handler) signInAgain(r *console.Request, errs ...error) bool {
	for _, err := range errs {
		if e := (*apperr.Error)(nil); errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
			h.d.Fail(r, err)
			return true
		}
	}
	return false
}

// teamChoices are the teams the filter offers: the user's own, those the
// statistics name, and the chosen one.
func teamChoices(r *console.Request, f Filter, ot *OnTime) []string {
	teams := append([]string(nil), r.User.Teams...)
	if ot != nil {
		for _, t := range ot.Teams {
			teams = append(teams, t.Team)
		}
	}
	teams = append(teams, f.Team)
	teams = slices.DeleteFunc(teams, func(s string) bool { return s == "" })
	slices.Sort(teams)
	return slices.Compact(teams)
}
