// Package surveypage renders what a customer reads of a satisfaction
// survey: the page behind the survey link (a form that works without
// JavaScript, with labelled controls and errors tied to their fields) and
// the survey email, in English and Simplified Chinese. The words are in
// locales/*.json, one key set per language; the markup in templates/.
package surveypage

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"golang.org/x/text/language"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Languages, the first the fallback.
const (
	English = "en"
	Chinese = "zh-Hans"
)

var (
	catalogues = map[string]map[string]string{}
	page       = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/survey.html"))
	emailHTML  = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/email.html"))
	emailText  = texttemplate.Must(texttemplate.ParseFS(templates, "templates/email.txt"))
	matcher    = language.NewMatcher([]language.Tag{language.English, language.MustParse("zh-Hans")})
)

func init() {
	for _, l := range []string{English, Chinese} {
		raw, err := locales.ReadFile("locales/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("surveypage: locales/%s.json: %v", l, err))
		}
		catalogues[l] = m
	}
}

// Locale is one language's words.
type Locale struct{ Lang string }

// T is the text of key in the locale's language (English when missing).
func (l Locale) T(key string) string {
	if s, ok := catalogues[l.Lang][key]; ok {
		return s
	}
	if s, ok := catalogues[English][key]; ok {
		return s
	}
	return key
}

// Keys returns every key of a language's catalogue (for tests).
func Keys(lang string) []string {
	var out []string
	for k := range catalogues[lang] {
		out = append(out, k)
	}
	return out
}

// Pick chooses the page's language: the one asked for (?lang=), else the
// survey's, else the browser's (Accept-Language), else English.
func Pick(asked, survey, acceptLanguage string) string {
	for _, l := range []string{asked, survey} {
		if l == English || l == Chinese {
			return l
		}
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No || i != 1 {
		return English
	}
	return Chinese
}

// Date is t's day in lang's words (UTC).
func Date(lang string, t time.Time) string {
	return t.UTC().Format(Locale{lang}.T("date"))
}

// Page is what the survey page shows. Kind is form (the survey to answer),
// thanks (answered now), answered, expired, notfound, toolarge or error.
type Page struct {
	Locale
	Kind         string
	Action       string // the form's URL
	OtherLangURL string
	Subject      string
	ClosedOn     string
	ExpiresOn    string
	AsksNPS      bool
	CommentBelow int
	MaxComment   int
	// Fields are the field errors, field → code (csat, nps, comment).
	Fields map[string]string
	// What the customer chose, kept when the form comes back with errors.
	CSAT, NPS, Comment string
	// Recovery: a low score; someone will call.
	Recovery bool
}

// CSATValues and NPSValues are the scales.
func (Page) CSATValues() []string { return scale(1, 5) }

// NPSValues is the recommend scale, 0 to 10.
func (Page) NPSValues() []string { return scale(0, 10) }

func scale(lo, hi int) []string {
	var out []string
	for i := lo; i <= hi; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// Err is the message of the field's error ("" for none).
func (p Page) Err(field string) string {
	code, ok := p.Fields[field]
	if !ok {
		return ""
	}
	if s, ok := catalogues[p.Lang]["err."+field+"."+code]; ok {
		return s
	}
	return p.T("err.other")
}

// FieldMessage is one entry of the error summary.
type FieldMessage struct{ Anchor, Message string }

// Errors lists the field errors in the form's order, each linking to its
// field.
func (p Page) Errors() []FieldMessage {
	var out []FieldMessage
	for _, f := range []string{"csat", "nps", "comment"} {
		if msg := p.Err(f); msg != "" {
			anchor := f
			switch f {
			case "csat":
				anchor = "csat-1"
			case "nps":
				anchor = "nps-0"
			}
			out = append(out, FieldMessage{Anchor: anchor, Message: msg})
		}
	}
	return out
}

// CommentHint says when a comment is needed and how long it may be.
func (p Page) CommentHint() string {
	if p.CommentBelow > 1 {
		return fmt.Sprintf(p.T("comment.hint"), p.CommentBelow, p.MaxComment)
	}
	return fmt.Sprintf(p.T("comment.hint_plain"), p.MaxComment)
}

// Render writes the page.
func Render(w io.Writer, p Page) error { return page.Execute(w, p) }

// Email is a rendered survey email.
type Email struct {
	Subject, Text, HTML string
	// Lang is its Content-Language ("" for both languages).
	Lang string
}

type section struct {
	Locale
	Body, Expires string
}

// RenderEmail renders the survey email about a case (its subject, when it
// closed) with its link: in lang, or in Chinese then English when lang is
// "" (the contact's language is not known).
func RenderEmail(lang, caseSubject, link string, closedAt, expiresAt time.Time) (Email, error) {
	langs := []string{lang}
	if lang != English && lang != Chinese {
		langs = []string{Chinese, English}
	}
	var sections []section
	var subjects []string
	for _, l := range langs {
		loc := Locale{l}
		sections = append(sections, section{Locale: loc,
			Body:    fmt.Sprintf(loc.T("email.body"), caseSubject, Date(l, closedAt)),
			Expires: fmt.Sprintf(loc.T("email.expires"), Date(l, expiresAt))})
		subjects = append(subjects, fmt.Sprintf(loc.T("email.subject"), caseSubject))
	}
	out := Email{Subject: strings.Join(subjects, " / ")}
	if len(langs) == 1 {
		out.Lang = langs[0]
	}
	data := struct {
		Lang, Subject, Link string
		Sections            []section
	}{langs[0], out.Subject, link, sections}
	var text, html bytes.Buffer
	if err := emailText.Execute(&text, data); err != nil {
		return Email{}, err
	}
	if err := emailHTML.Execute(&html, data); err != nil {
		return Email{}, err
	}
	out.Text, out.HTML = strings.TrimSpace(text.String())+"\n", html.String()
	return out, nil
}
