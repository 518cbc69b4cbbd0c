// Package view renders the web console's pages: html/template (contextual
// escaping, no generation step) over one layout, messages in English and
// Simplified Chinese from go-i18n catalogues, and times in the user's time
// zone. Each page package brings its own templates and catalogue; this
// package owns the layout, the navigation, the shared partials (problems,
// field errors, pagers) and the per-request context every template sees.
package view

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed templates
var baseTemplates embed.FS

//go:embed locales/*.json
var baseLocales embed.FS

// The languages the console speaks, the first the fallback.
var (
	English           = language.English
	SimplifiedChinese = language.MustParse("zh-Hans")
	Languages         = []language.Tag{English, SimplifiedChinese}
)

// LangCookie keeps the language a user chose.
const LangCookie = "closeloop_lang"

// TZCookie is the browser's time zone, set by the console's script; used
// when the identity provider names none.
const TZCookie = "closeloop_tz"

// Renderer holds the layout, the catalogues and the defaults.
type Renderer struct {
	bundle    *i18n.Bundle
	matcher   language.Matcher
	defaultTZ *time.Location
	base      *template.Template
	temporal  string

	mu      sync.Mutex
	loaded  map[string]bool // message files already loaded, by page
	message *Page
}

// New returns a renderer whose users without a time zone of their own see
// times in defaultTZ (an IANA name). temporalUI is the Temporal web UI's base
// URL for links to workflows ("" for none).
func New(defaultTZ, temporalUI string) (*Renderer, error) {
	loc, err := time.LoadLocation(defaultTZ)
	if err != nil {
		return nil, fmt.Errorf("WEB_DEFAULT_TIME_ZONE: %q is not an IANA time zone name", defaultTZ)
	}
	b := i18n.NewBundle(English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	r := &Renderer{bundle: b, matcher: language.NewMatcher(Languages), defaultTZ: loc,
		temporal: strings.TrimSuffix(temporalUI, "/"), loaded: map[string]bool{}}
	if err := r.AddMessages("base", baseLocales, "locales"); err != nil {
		return nil, err
	}
	r.base = template.Must(template.New("base").Funcs(funcs).ParseFS(baseTemplates, "templates/*.html"))
	return r, nil
}

// AddMessages loads the catalogues <dir>/en.json and <dir>/zh-Hans.json of
// fsys (a page package's messages). Loading the same name twice is a no-op.
func (r *Renderer) AddMessages(name string, fsys fs.FS, dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded[name] {
		return nil
	}
	for _, lang := range []string{"en", "zh-Hans"} {
		p := path.Join(dir, lang+".json")
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("messages of %s: %w", name, err)
		}
		if _, err := r.bundle.ParseMessageFileBytes(data, p); err != nil {
			return fmt.Errorf("messages of %s (%s): %w", name, p, err)
		}
	}
	r.loaded[name] = true
	return nil
}

// Page is one page's templates: the layout and shared partials with the
// page's own files, which define "main" (the page body) and any partials
// htmx swaps.
type Page struct {
	t *template.Template
}

// Page parses the page templates matched by patterns in fsys over the
// layout. It panics on a template error: templates are embedded, so an
// error is a programming error found by the first test that builds the page.
func (r *Renderer) Page(fsys fs.FS, patterns ...string) *Page {
	t := template.Must(r.base.Clone())
	return &Page{t: template.Must(t.ParseFS(fsys, patterns...))}
}

// Render writes the whole page (layout around "main") with status. For an
// htmx request that targets the page body ("main" as HX-Target) only the
// body is written.
func (p *Page) Render(c *gin.Context, status int, data any) {
	name := "layout"
	if c.GetHeader("HX-Request") == "true" && c.GetHeader("HX-Target") == "main" {
		name = "main"
	}
	p.Partial(c, status, name, data)
}

// Partial writes one named template (a part of the page htmx swaps in).
func (p *Page) Partial(c *gin.Context, status int, name string, data any) {
	var sb strings.Builder
	if err := p.t.ExecuteTemplate(&sb, name, data); err != nil {
		_ = c.Error(err)
		c.String(http.StatusInternalServerError, "the page could not be rendered; the error has been logged")
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Vary", "HX-Request, HX-Target, Accept-Language, Cookie")
	c.Status(status)
	_, _ = c.Writer.WriteString(sb.String())
}

// funcs are the template functions that need no request.
var funcs = template.FuncMap{
	"join": strings.Join,
	// str prints a value the generated clients hand out as a pointer: the
	// pointed-to value, or "" for nil.
	"str": Str,
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	"pct": func(part, whole float64) float64 {
		if whole == 0 {
			return 0
		}
		return 100 * part / whole
	},
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// Str is the text of v, dereferencing pointers; "" for nil.
func Str(v any) string {
	if v == nil {
		return ""
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	return fmt.Sprint(rv.Interface())
}
