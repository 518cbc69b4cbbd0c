package messages

import (
	"bytes"
	"errors"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Touch is a marketing campaign's email to one customer (a touch email):
// the campaign's subject and body as its marketer wrote them, to which the
// footer adds why the customer receives it and the link that stops it.
type Touch struct {
	Subject, Body string
	// Language is the footer's: en or zh-Hans (anything else: English).
	Language string
	// UnsubscribeURL is the customer's signed unsubscribe link; required.
	UnsubscribeURL string
}

// ErrNoUnsubscribeLink refuses a touch email without its unsubscribe
// link: marketing is never sent without a way to stop it.
var ErrNoUnsubscribeLink = errors.New("messages: a campaign email needs its unsubscribe link")

// touchWords are the footer's words per language.
var touchWords = map[string]struct{ Why, Stop, Link string }{
	"en": {
		Why:  "You receive this email as a contact of one of our customers.",
		Stop: "To receive no more marketing from us, unsubscribe:",
		Link: "Unsubscribe",
	},
	"zh-Hans": {
		Why:  "您作为我们客户的联系人收到此邮件。",
		Stop: "如不想再收到我们的营销信息，请退订：",
		Link: "退订",
	},
}

type touchView struct {
	Lang, Subject, Body, URL string
	Paragraphs               [][]string
	Why, Stop, Link          string
}

var touchText = texttemplate.Must(texttemplate.New("touch.txt").Parse(`{{.Body}}

-- 
{{.Why}}
{{.Stop}} {{.URL}}
`))

var touchHTML = htmltemplate.Must(htmltemplate.New("touch.html").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a;">
{{range .Paragraphs}}<p style="margin:0 0 14px;">{{range $i, $line := .}}{{if $i}}<br>{{end}}{{$line}}{{end}}</p>
{{end -}}
<hr style="border:none;border-top:1px solid #dddddd;margin:24px 0 12px;">
<p style="margin:0;font-size:12px;color:#666666;">{{.Why}} {{.Stop}} <a href="{{.URL}}" style="color:#666666;">{{.Link}}</a></p>
</body></html>
`))

// RenderTouch writes a touch email: the body as written (plain text; in
// the HTML part escaped, its blank lines separating paragraphs), then the
// footer with the unsubscribe link. The subject is the campaign's, without
// the [Closeloop] prefix of staff notifications: the customer reads it.
func RenderTouch(t Touch) (Rendered, error) {
	if t.UnsubscribeURL == "" {
		return Rendered{}, ErrNoUnsubscribeLink
	}
	w, ok := touchWords[t.Language]
	lang := t.Language
	if !ok {
		w, lang = touchWords["en"], "en"
	}
	body := strings.TrimSpace(strings.ReplaceAll(t.Body, "\r\n", "\n"))
	v := touchView{Lang: lang, Subject: t.Subject, Body: body, URL: t.UnsubscribeURL, Why: w.Why, Stop: w.Stop, Link: w.Link}
	for _, p := range strings.Split(body, "\n\n") {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			v.Paragraphs = append(v.Paragraphs, strings.Split(p, "\n"))
		}
	}
	var text, html bytes.Buffer
	if err := touchText.Execute(&text, v); err != nil {
		return Rendered{}, err
	}
	if err := touchHTML.Execute(&html, v); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: t.Subject, Text: text.String(), HTML: html.String()}, nil
}
