package ports

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/marketing/internal/app"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// The unsubscribe link of campaign emails, without login: the page a
// customer opens (GET shows a button, so that a mail scanner following
// links opts nobody out; POST — the button, or a mail client's one-click
// unsubscribe, RFC 8058 — opts the customer out) and its JSON twin for
// programs. A link the service did not sign is 400 unsubscribe_link_invalid,
// an expired one 410 unsubscribe_link_expired; neither changes anything.

// Unsubscribe serves the public unsubscribe endpoints.
type Unsubscribe struct{ App *app.App }

// maxUnsubscribeBody bounds what a POST may carry: nothing is read but a
// one-click client's "List-Unsubscribe=One-Click".
const maxUnsubscribeBody = 4 << 10

// Public mounts /unsubscribe/{token} (the page) and
// /public/v1/unsubscribe/{token} (JSON) on the engine, outside /v1 and its
// bearer token.
func (u *Unsubscribe) Public(e *gin.Engine) {
	pages := e.Group("/unsubscribe", unsubscribeHeaders, httpx.BodyLimit(maxUnsubscribeBody))
	pages.GET("/:token", u.page)
	pages.POST("/:token", u.pagePost)
	api := e.Group("/public/v1/unsubscribe", unsubscribeHeaders, httpx.BodyLimit(maxUnsubscribeBody))
	api.GET("/:token", u.get)
	api.POST("/:token", u.post)
}

// unsubscribeHeaders keep a link out of caches, referrers and frames.
func unsubscribeHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Next()
}

func (u *Unsubscribe) get(c *gin.Context) {
	v, err := u.App.OpenUnsubscribe(c.Request.Context(), c.Param("token"))
	unsubscribeRespond(c, v, err)
}

func (u *Unsubscribe) post(c *gin.Context) {
	v, err := u.App.Unsubscribe(c.Request.Context(), c.Param("token"))
	unsubscribeRespond(c, v, err)
}

func unsubscribeRespond(c *gin.Context, v app.UnsubscribeView, err error) {
	if err != nil {
		_, body := httpx.Body(err)
		c.AbortWithStatusJSON(unsubscribeStatus(err), body)
		return
	}
	c.JSON(http.StatusOK, v)
}

// unsubscribeStatus is every endpoint's status for err, except that an
// expired link is 410 Gone: it existed, and will not come back.
func unsubscribeStatus(err error) int {
	if errors.Is(err, domain.ErrUnsubscribeExpired) {
		return http.StatusGone
	}
	return httpx.Status(apperr.From(err).Kind)
}

func (u *Unsubscribe) page(c *gin.Context) {
	lang := pageLanguage(c)
	v, err := u.App.OpenUnsubscribe(c.Request.Context(), c.Param("token"))
	switch {
	case err != nil:
		u.problem(c, lang, err)
	case v.OptedOut:
		renderUnsubscribe(c, http.StatusOK, unsubscribePage{Lang: lang, Kind: "done", At: v.At})
	default:
		renderUnsubscribe(c, http.StatusOK, unsubscribePage{Lang: lang, Kind: "confirm", Action: c.Request.URL.Path + "?lang=" + url.QueryEscape(lang),
			Expires: &v.ExpiresAt})
	}
}

func (u *Unsubscribe) pagePost(c *gin.Context) {
	lang := pageLanguage(c)
	v, err := u.App.Unsubscribe(c.Request.Context(), c.Param("token"))
	if err != nil {
		u.problem(c, lang, err)
		return
	}
	renderUnsubscribe(c, http.StatusOK, unsubscribePage{Lang: lang, Kind: "done", At: v.At})
}

// problem shows what is wrong with the link, with the JSON twin's status.
func (u *Unsubscribe) problem(c *gin.Context, lang string, err error) {
	kind := "error"
	switch {
	case errors.Is(err, domain.ErrUnsubscribeInvalid):
		kind = "invalid"
	case errors.Is(err, domain.ErrUnsubscribeExpired):
		kind = "expired"
	case errors.Is(err, app.ErrUnsubscribeOff):
		kind = "off"
	}
	status := unsubscribeStatus(err)
	if status >= 500 && kind == "error" {
		slog.Default().ErrorContext(c.Request.Context(), "unsubscribe page failed", "method", c.Request.Method, "status", status, "error", err)
	}
	renderUnsubscribe(c, status, unsubscribePage{Lang: lang, Kind: kind})
}

// pageLanguage is the page's language: ?lang=, else the browser's first
// choice of English and Simplified Chinese, else English.
func pageLanguage(c *gin.Context) string {
	switch q := c.Query("lang"); q {
	case domain.LanguageEnglish, domain.LanguageChinese:
		return q
	}
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return domain.LanguageChinese
		case strings.HasPrefix(tag, "en"):
			return domain.LanguageEnglish
		}
	}
	return domain.LanguageEnglish
}

// unsubscribePage is what the page shows: Kind confirm (the button), done,
// invalid, expired, off or error.
type unsubscribePage struct {
	Lang, Kind, Action string
	At, Expires        *time.Time
}

// unsubscribeWords are the page's words per language.
var unsubscribeWords = map[string]map[string]string{
	domain.LanguageEnglish: {
		"title":          "Marketing emails",
		"confirm":        "Do you want to stop receiving marketing from us? No campaign will contact you again.",
		"button":         "Unsubscribe",
		"expires":        "This link works until %s.",
		"done":           "You are unsubscribed: you will receive no more marketing from us.",
		"since":          "Since %s.",
		"invalid":        "This link is not valid: it is incomplete or was altered. Open the link exactly as the email has it.",
		"expired":        "This link has expired. Reply to the email or contact us, and we will stop our marketing.",
		"off":            "Unsubscribing by link is not available at the moment. Reply to the email or contact us, and we will stop our marketing.",
		"error":          "Something went wrong on our side. Please try again in a few minutes.",
		"other_language": "中文",
	},
	domain.LanguageChinese: {
		"title":          "营销邮件",
		"confirm":        "您要退订我们的营销信息吗？退订后，任何营销活动都不会再联系您。",
		"button":         "退订",
		"expires":        "此链接在 %s 前有效。",
		"done":           "您已退订：我们不会再向您发送营销信息。",
		"since":          "退订时间：%s。",
		"invalid":        "此链接无效：链接不完整或已被改动。请按邮件中的原样打开链接。",
		"expired":        "此链接已过期。请回复邮件或与我们联系，我们会停止向您发送营销信息。",
		"off":            "暂时无法通过链接退订。请回复邮件或与我们联系，我们会停止向您发送营销信息。",
		"error":          "我们这边出了问题，请几分钟后再试。",
		"other_language": "English",
	},
}

var unsubscribeTemplate = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.W.title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
button{font:inherit;padding:.5rem 1.25rem;border:1px solid #1a1a1a;border-radius:4px;background:#1a1a1a;color:#fff;cursor:pointer}
.note{color:#555;font-size:.9rem}</style></head>
<body><main><h1>{{.W.title}}</h1>
{{if eq .Kind "confirm"}}<p>{{.W.confirm}}</p>
<form method="post" action="{{.Action}}"><button type="submit">{{.W.button}}</button></form>
{{with .Expires}}<p class="note">{{printf $.W.expires (.Format "2006-01-02")}}</p>{{end}}
{{else if eq .Kind "done"}}<p role="status">{{.W.done}}</p>{{with .At}}<p class="note">{{printf $.W.since (.Format "2006-01-02")}}</p>{{end}}
{{else}}<p role="alert">{{index .W .Kind}}</p>{{end}}
<p class="note"><a href="?lang={{.Other}}" lang="{{.Other}}">{{.W.other_language}}</a></p>
</main></body></html>
`))

func renderUnsubscribe(c *gin.Context, status int, p unsubscribePage) {
	other := domain.LanguageChinese
	if p.Lang == domain.LanguageChinese {
		other = domain.LanguageEnglish
	}
	var buf bytes.Buffer
	if err := unsubscribeTemplate.Execute(&buf, struct {
		unsubscribePage
		W     map[string]string
		Other string
	}{p, unsubscribeWords[p.Lang], other}); err != nil {
		httpx.WriteError(c, apperr.Internal(err))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
