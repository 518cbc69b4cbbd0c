package devissuer

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/closeloop/closeloop/platform/auth"
)

// The issuer's pages: the login page, an error page for requests it cannot
// send back to a client, and the signed-out page. They load nothing from
// elsewhere and run no script; their one stylesheet is inline and allowed by
// its hash in the Content-Security-Policy.

const pageCSS = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin-top: 0; }
.note { color: #6b4d00; background: #fff6dc; padding: .6rem .8rem; border-radius: 4px; }
.error { color: #8a1c1c; background: #fde8e8; padding: .6rem .8rem; border-radius: 4px; }
ul { list-style: none; padding: 0; }
li { margin: .5rem 0; }
button { width: 100%; text-align: left; padding: .7rem 1rem; font: inherit; background: #fff; border: 1px solid #c5cad3; border-radius: 6px; cursor: pointer; }
button:hover, button:focus { border-color: #2f5fd0; background: #eef3ff; }
.name { font-weight: 600; display: block; }
.meta { color: #4a5263; font-size: .9rem; }
code { font-size: .9rem; }
`

// pageCSP allows the inline stylesheet above and nothing else, and forbids
// framing (the login page must not be clickjacked).
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; frame-ancestors 'none'"
}()

const pageLayout = `{{define "top"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Closeloop development issuer</title>
<style>` + pageCSS + `</style>
</head>
<body>
<main>
{{end}}{{define "bottom"}}</main>
</body>
</html>
{{end}}`

var pages = template.Must(template.New("pages").Parse(pageLayout + `
{{define "login"}}{{template "top" "Sign in"}}<h1>Sign in to {{.ClientID}}</h1>
<p class="note">Development issuer: choose a user. No password is asked; never use this issuer outside development.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>
{{end}}<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<ul>
{{range .Users}}<li><button type="submit" name="sub" value="{{.Subject}}"><span class="name">{{.Name}}</span><span class="meta">role {{.Roles}} · {{.Teams}} · <code>{{.Subject}}</code></span></button></li>
{{end}}</ul>
</form>
{{template "bottom"}}{{end}}
{{define "error"}}{{template "top" "Sign-in error"}}<h1>This sign-in request cannot be completed</h1>
<p class="error" role="alert">{{.}}</p>
<p>The request does not name a registered client and one of its redirect URIs, so the issuer does not send the browser back. Check the client's configuration: <code>devissuer.Issuer.RegisterClient</code>.</p>
{{template "bottom"}}{{end}}
{{define "signedout"}}{{template "top" "Signed out"}}<h1>You are signed out</h1>
<p>You can close this page.</p>
{{template "bottom"}}{{end}}
`))

// loginPage is what the login template shows.
type loginPage struct {
	ClientID string
	Action   string
	Error    string
	Hidden   []hiddenField
	Users    []userView
}

type hiddenField struct{ Name, Value string }

type userView struct{ Subject, Name, Roles, Teams string }

// loginView lists the development users for req, which the form repeats.
func (i *Issuer) loginView(req authRequest, problem string) loginPage {
	page := loginPage{ClientID: req.clientID, Action: i.endpoint(AuthorizePath), Error: problem}
	for _, f := range req.fields() {
		if f.Value != "" {
			page.Hidden = append(page.Hidden, f)
		}
	}
	for _, u := range DevUsers() {
		page.Users = append(page.Users, userView{Subject: u.Subject, Name: u.Name, Roles: strings.Join(roleNames(u), ", "), Teams: teamsText(u)})
	}
	return page
}

func teamsText(u auth.Principal) string {
	switch len(u.Teams) {
	case 0:
		return "no team"
	case 1:
		return "team " + u.Teams[0]
	}
	return "teams " + strings.Join(u.Teams, ", ")
}

// renderPage writes one of the pages with status.
func renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		// The templates are fixed and parsed at start-up; this is a bug.
		http.Error(w, "devissuer: page "+name+" failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
