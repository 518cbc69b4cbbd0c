package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/signin"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// mountHome adds the start page (signed in: the user's first page; signed
// out: the sign-in invitation) and the language switch.
func mountHome(e *gin.Engine, d *console.Deps) {
	e.GET("/", d.Auth.Optional(), func(c *gin.Context) {
		s := signin.From(c)
		if s != nil {
			c.Redirect(http.StatusSeeOther, view.Home(s.Roles))
			return
		}
		d.View.Message(c, nil, http.StatusOK, "home.lead", "")
	})
	// The language switch: a cookie, no server state. Signed in, it needs the
	// session's anti-CSRF token like every other post.
	e.POST("/prefs/lang", d.Auth.Optional(), func(c *gin.Context) {
		if s := signin.From(c); s != nil && !s.CheckCSRF(c.PostForm(signin.CSRFField)) {
			d.View.Message(c, s, http.StatusForbidden, "csrf.refused", "")
			return
		}
		lang := c.PostForm("lang")
		if lang != "en" && lang != "zh-Hans" {
			d.View.Message(c, signin.From(c), http.StatusBadRequest, "prefs.bad_language", "")
			return
		}
		http.SetCookie(c.Writer, &http.Cookie{Name: view.LangCookie, Value: lang, Path: "/",
			MaxAge: int((365 * 24 * time.Hour).Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"})
		next := signin.LocalPath(c.PostForm("next"))
		if next == "" {
			next = "/"
		}
		c.Redirect(http.StatusSeeOther, next)
	})
}
