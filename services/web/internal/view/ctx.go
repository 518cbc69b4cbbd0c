package view

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/closeloop/closeloop/services/web/internal/session"
)

// Ctx is what every template sees of the request: the user, their language
// and time zone, the anti-CSRF token, the navigation and the page title.
// Page data embeds it, so templates call {{.T "id"}} and {{$.T "id"}}.
type Ctx struct {
	Lang    string // "en" or "zh-Hans"
	User    *session.Session
	TZ      *time.Location
	Path    string
	Query   url.Values
	Title   string
	Nav     []NavItem
	HX      bool // an htmx request
	Problem *Problem

	loc      *i18n.Localizer
	printer  *message.Printer
	temporal string
	now      time.Time
}

// Ctx returns the request's view context. user may be nil (signed out).
func (r *Renderer) Ctx(c *gin.Context, user *session.Session) *Ctx {
	tag := r.language(c)
	lang := "en"
	if tag == SimplifiedChinese {
		lang = "zh-Hans"
	}
	x := &Ctx{
		Lang: lang, User: user, TZ: r.timeZone(c, user), Path: c.Request.URL.Path, Query: c.Request.URL.Query(),
		HX:       c.GetHeader("HX-Request") == "true",
		loc:      i18n.NewLocalizer(r.bundle, tag.String()),
		printer:  message.NewPrinter(tag),
		temporal: r.temporal,
		now:      time.Now(),
	}
	x.Nav = navFor(x)
	return x
}

// language is the user's choice (cookie), else the best match of the
// browser's Accept-Language, else English.
func (r *Renderer) language(c *gin.Context) language.Tag {
	if v, err := c.Cookie(LangCookie); err == nil {
		switch v {
		case "zh-Hans":
			return SimplifiedChinese
		case "en":
			return English
		}
	}
	tags, _, err := language.ParseAcceptLanguage(c.GetHeader("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return English
	}
	_, i, conf := r.matcher.Match(tags...)
	if conf == language.No {
		return English
	}
	return Languages[i]
}

// timeZone is the identity provider's zoneinfo for the user, else the
// browser's (cookie set by the console's script), else the default.
func (r *Renderer) timeZone(c *gin.Context, user *session.Session) *time.Location {
	if user != nil && user.TimeZone != "" {
		if loc, err := time.LoadLocation(user.TimeZone); err == nil {
			return loc
		}
	}
	if v, err := c.Cookie(TZCookie); err == nil && v != "" {
		if name, err := url.QueryUnescape(v); err == nil {
			if loc, err := time.LoadLocation(name); err == nil {
				return loc
			}
		}
	}
	return r.defaultTZ
}

// T returns the message id in the user's language; kv are template data as
// name, value pairs ({{.T "board.count" "Count" 3}}). A message missing
// from the catalogues shows its id, so a gap is visible, never blank.
func (x *Ctx) T(id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := x.loc.Localize(cfg)
	if err != nil || s == "" {
		return id
	}
	return s
}

// Has reports whether the user holds one of roles.
func (x *Ctx) Has(roles ...string) bool {
	if x.User == nil {
		return false
	}
	for _, r := range roles {
		if x.User.Has(r) {
			return true
		}
	}
	return false
}

// CSRF is the session's anti-CSRF token, for forms' hidden _csrf field.
func (x *Ctx) CSRF() string {
	if x.User == nil {
		return ""
	}
	return x.User.CSRF
}

// Idem returns a fresh idempotency key for one form: sent back with the
// form, it makes a double-click write once.
func (x *Ctx) Idem() string { return session.Token(16) }

// Now is the request's time.
func (x *Ctx) Now() time.Time { return x.now }

// DateTime formats t in the user's time zone ("2026-12-04 09:30").
func (x *Ctx) DateTime(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.In(x.TZ).Format("2006-01-02 15:04")
}

// Date formats t's day in the user's time zone.
func (x *Ctx) Date(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.In(x.TZ).Format("2006-01-02")
}

// Weekday is t's weekday name in the user's language and time zone.
func (x *Ctx) Weekday(t time.Time) string {
	return x.T(fmt.Sprintf("weekday.%d", int(t.In(x.TZ).Weekday())))
}

// ISO is t for a datetime attribute (RFC 3339, UTC).
func (x *Ctx) ISO(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.UTC().Format(time.RFC3339)
}

// Since says how long ago t was (or how late), in the user's language:
// "3 d 4 h", "45 min".
func (x *Ctx) Since(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return x.Duration(x.now.Sub(tt))
}

// Until says how long until t.
func (x *Ctx) Until(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return x.Duration(tt.Sub(x.now))
}

// Duration formats d (absolute value) as days, hours and minutes.
func (x *Ctx) Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	switch {
	case days > 0:
		return x.T("duration.days_hours", "Days", days, "Hours", hours)
	case hours > 0:
		return x.T("duration.hours_minutes", "Hours", hours, "Minutes", mins)
	default:
		return x.T("duration.minutes", "Minutes", mins)
	}
}

// Num formats a number with the user's locale's digit grouping.
func (x *Ctx) Num(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		return x.Num(rv.Elem().Interface())
	}
	switch n := v.(type) {
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1e15 {
			return x.printer.Sprintf("%d", int64(n))
		}
		return x.printer.Sprintf("%.2f", n)
	case float32:
		return x.Num(float64(n))
	default:
		return x.printer.Sprintf("%v", v)
	}
}

// Percent formats a share (0..1) as a percentage.
func (x *Ctx) Percent(share float64) string {
	return x.printer.Sprintf("%.1f%%", 100*share)
}

// WorkflowURL links a workflow in the Temporal web UI ("" without one).
func (x *Ctx) WorkflowURL(namespace, workflowID string) string {
	if x.temporal == "" || workflowID == "" {
		return ""
	}
	if namespace == "" {
		namespace = "default"
	}
	return x.temporal + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// QueryWith returns the current query with key set to value ("" removes it),
// for filter links that keep the other filters.
func (x *Ctx) QueryWith(kv ...string) string {
	q := url.Values{}
	for k, v := range x.Query {
		q[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	q.Del("cursor")
	if s := q.Encode(); s != "" {
		return x.Path + "?" + s
	}
	return x.Path
}

// PageURL is the current page with the same filters at cursor (the
// service's next_cursor).
func (x *Ctx) PageURL(cursor string) string {
	q := url.Values{}
	for k, v := range x.Query {
		q[k] = append([]string(nil), v...)
	}
	q.Set("cursor", cursor)
	return x.Path + "?" + q.Encode()
}

// Q returns one query parameter of the request.
func (x *Ctx) Q(key string) string { return strings.TrimSpace(x.Query.Get(key)) }

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, false
		}
		return *t, true
	}
	return time.Time{}, false
}
