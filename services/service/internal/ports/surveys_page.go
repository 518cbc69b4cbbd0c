package ports

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/mail"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/services/service/internal/ports/surveypage"
)

// The survey page: GET shows the form, POST (a plain HTML form) records the
// answer and thanks, or shows the form again with each field's error.
// Statuses are those of the JSON API (404, 409, 410, 413, 422), with a page.

func (h *SurveysHTTP) page(c *gin.Context) {
	token := c.Param("token")
	v, err := h.Surveys.Open(c.Request.Context(), token)
	lang := surveypage.Pick(c.Query("lang"), v.Language, c.GetHeader("Accept-Language"))
	if err != nil {
		renderProblem(c, lang, err)
		return
	}
	renderPage(c, http.StatusOK, formPage(c, lang, v, nil, "", "", ""))
}

func (h *SurveysHTTP) pagePost(c *gin.Context) {
	ctx := c.Request.Context()
	token := c.Param("token")
	if err := c.Request.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = httpx.ErrBodyTooLarge.Withf("the request body exceeds %d bytes", mbe.Limit)
		} else {
			err = apperr.Invalid("unreadable_body", "the form could not be read")
		}
		renderProblem(c, surveypage.Pick(c.Query("lang"), "", c.GetHeader("Accept-Language")), err)
		return
	}
	f := c.Request.PostForm
	csat, nps, comment := f.Get("csat"), f.Get("nps"), f.Get("comment")
	ans, fields := formAnswer(csat, nps, comment)
	if len(fields) > 0 {
		v, err := h.Surveys.Open(ctx, token)
		lang := surveypage.Pick(c.Query("lang"), v.Language, c.GetHeader("Accept-Language"))
		if err != nil {
			renderProblem(c, lang, err)
			return
		}
		renderPage(c, http.StatusUnprocessableEntity, formPage(c, lang, v, fields, csat, nps, comment))
		return
	}
	v, err := h.Surveys.Answer(ctx, token, ans)
	lang := surveypage.Pick(c.Query("lang"), v.Language, c.GetHeader("Accept-Language"))
	if e := apperr.From(err); err != nil && e.Code == "validation_failed" {
		open, oerr := h.Surveys.Open(ctx, token)
		if oerr != nil {
			renderProblem(c, lang, oerr)
			return
		}
		lang = surveypage.Pick(c.Query("lang"), open.Language, c.GetHeader("Accept-Language"))
		fs := map[string]string{}
		for _, fe := range e.Fields {
			fs[fe.Field] = fe.Code
		}
		renderPage(c, http.StatusUnprocessableEntity, formPage(c, lang, open, fs, csat, nps, comment))
		return
	}
	if err != nil {
		renderProblem(c, lang, err)
		return
	}
	renderPage(c, http.StatusOK, surveypage.Page{Locale: surveypage.Locale{Lang: lang}, Kind: "thanks",
		OtherLangURL: otherLang(c, lang), Recovery: v.CSAT != nil && *v.CSAT < h.Surveys.Policy.RecoveryBelow})
}

// formAnswer reads the form's fields; a value that is no number is the
// field's error (the domain checks the rest).
func formAnswer(csat, nps, comment string) (domain.Answer, map[string]string) {
	fields := map[string]string{}
	var a domain.Answer
	a.Comment = comment
	if csat != "" {
		n, err := strconv.Atoi(csat)
		if err != nil {
			fields["csat"] = "out_of_range"
		}
		a.CSAT = &n
	}
	if nps != "" {
		n, err := strconv.Atoi(nps)
		if err != nil {
			fields["nps"] = "out_of_range"
		}
		a.NPS = &n
	}
	return a, fields
}

func formPage(c *gin.Context, lang string, v app.PublicSurvey, fields map[string]string, csat, nps, comment string) surveypage.Page {
	return surveypage.Page{Locale: surveypage.Locale{Lang: lang}, Kind: "form", Action: c.Request.URL.Path + "?lang=" + url.QueryEscape(lang),
		OtherLangURL: otherLang(c, lang), Subject: v.CaseSubject, ClosedOn: surveypage.Date(lang, v.ClosedAt),
		ExpiresOn: surveypage.Date(lang, v.ExpiresAt), AsksNPS: v.AsksNPS, CommentBelow: v.CommentRequiredBelow,
		MaxComment: domain.MaxComment, Fields: fields, CSAT: csat, NPS: nps, Comment: comment}
}

func otherLang(c *gin.Context, lang string) string {
	other := surveypage.Chinese
	if lang == surveypage.Chinese {
		other = surveypage.English
	}
	return c.Request.URL.Path + "?lang=" + url.QueryEscape(other)
}

// renderProblem shows a page saying what is wrong with the link or the
// request, with the JSON API's status.
func renderProblem(c *gin.Context, lang string, err error) {
	kind := "error"
	switch e := apperr.From(err); {
	case errors.Is(err, domain.ErrSurveyNotFound):
		kind = "notfound"
	case errors.Is(err, domain.ErrSurveyAnswered):
		kind = "answered"
	case errors.Is(err, domain.ErrSurveyExpired):
		kind = "expired"
	case e.Kind == apperr.KindTooLarge:
		kind = "toolarge"
	}
	status := publicStatus(err)
	if status >= 500 {
		slog.Default().ErrorContext(c.Request.Context(), "survey page failed", "method", c.Request.Method, "route", c.FullPath(), "status", status, "error", err)
	}
	renderPage(c, status, surveypage.Page{Locale: surveypage.Locale{Lang: lang}, Kind: kind, OtherLangURL: otherLang(c, lang)})
}

func renderPage(c *gin.Context, status int, p surveypage.Page) {
	var buf bytes.Buffer
	if err := surveypage.Render(&buf, p); err != nil {
		httpx.WriteError(c, apperr.Internal(err))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// SurveyMailer sends survey emails through the SMTP relay.
type SurveyMailer struct {
	Sender *mail.Sender
}

// SendSurvey renders and sends one survey email.
func (m SurveyMailer) SendSurvey(ctx context.Context, s app.SurveyMail) error {
	e, err := surveypage.RenderEmail(s.Language, s.Subject, s.Link, s.ClosedAt, s.ExpiresAt)
	if err != nil {
		return err
	}
	return m.Sender.Send(ctx, mail.Message{ID: s.ID, To: mail.Address{Address: strings.TrimSpace(s.To)}, Subject: e.Subject,
		Text: e.Text, HTML: e.HTML, Lang: e.Lang, Headers: map[string]string{"X-Closeloop-Kind": "satisfaction-survey"}})
}
