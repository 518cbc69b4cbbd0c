// Package console is what every page of the web console shares: its
// dependencies, the role guard, the per-request bundle of user, view and API
// clients, and how a failed call is shown. Pages live in packages of their
// own under pages/ and are mounted by the web package.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/services/web/internal/signin"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Deps are what pages are built from.
type Deps struct {
	View *view.Renderer
	Auth *signin.Auth
	APIs *apis.Clients
	Log  *slog.Logger
	// Namespace is the Temporal namespace workflows run in (for links to the
	// Temporal web UI).
	Namespace string
}

// Request is one request as a page handler works with it.
type Request struct {
	C    *gin.Context
	User *session.Session
	X    *view.Ctx
	API  *apis.Set
}

// Req returns the request's bundle. It must run behind Guard (or
// Auth.Require): the user is signed in.
func (d *Deps) Req(c *gin.Context) *Request {
	s := signin.From(c)
	x := d.View.Ctx(c, s)
	var api *apis.Set
	if s != nil {
		api = d.APIs.For(s.AccessToken)
	}
	return &Request{C: c, User: s, X: x, API: api}
}

// Ctx is the context calls to the services are made with; for a form post
// it carries the form's idempotency key (field _idem).
func (r *Request) Ctx() context.Context {
	ctx := r.C.Request.Context()
	if r.C.Request.Method != http.MethodGet {
		ctx = apis.WithIdempotencyKey(ctx, r.C.Request.FormValue("_idem"))
	}
	return ctx
}

// Guard signs the user in and lets only the given roles through; anyone else
// gets a page that says whom the page is for and who they are.
func (d *Deps) Guard(roles ...string) gin.HandlersChain {
	return gin.HandlersChain{d.Auth.Require(), func(c *gin.Context) {
		s := signin.From(c)
		if signin.HasAny(s, roles...) {
			c.Next()
			return
		}
		x := d.View.Ctx(c, s)
		d.View.Message(c, s, http.StatusForbidden, "forbidden.title",
			x.T("forbidden.detail", "Roles", roleNames(x, roles), "Name", s.Name, "Your", roleNames(x, s.Roles)))
	}}
}

func roleNames(x *view.Ctx, roles []string) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = x.T("role." + r)
	}
	return strings.Join(names, ", ")
}

// Fail shows err on a page of its own (for a GET that could not load what
// it shows) or as a banner an htmx request swaps in. A service that no
// longer accepts the user's token ends the session.
func (d *Deps) Fail(r *Request, err error) {
	var e *apperr.Error
	if errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
		d.Log.InfoContext(r.C, "a service refused the session's token; signing in again", "code", e.Code)
		r.C.Redirect(http.StatusSeeOther, signin.LoginPath)
		r.C.Abort()
		return
	}
	p := r.X.ProblemOf(err)
	if p.Status >= 500 {
		d.Log.ErrorContext(r.C, "console page failed", "path", r.C.Request.URL.Path, "error", err)
	}
	titleID := "error.page"
	switch p.Status {
	case http.StatusNotFound:
		titleID = "notfound.title"
	case http.StatusForbidden:
		titleID = "forbidden.title"
	}
	d.View.Message(r.C, r.User, p.Status, titleID, p.Message)
}
