package surveypage_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/ports/surveypage"
)

// Both languages have every word.
func TestLocalesMatch(t *testing.T) {
	en, zh := surveypage.Keys(surveypage.English), surveypage.Keys(surveypage.Chinese)
	slices.Sort(en)
	slices.Sort(zh)
	if !slices.Equal(en, zh) {
		t.Errorf("locales differ:\nen %v\nzh %v", en, zh)
	}
}

func TestPick(t *testing.T) {
	for _, tc := range []struct{ asked, survey, accept, want string }{
		{"", "", "", "en"},
		{"", "", "zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"},
		{"", "", "zh-TW", "zh-Hans"},
		{"", "en", "zh-CN", "en"},
		{"zh-Hans", "en", "", "zh-Hans"},
		{"fr", "", "fr-FR", "en"},
	} {
		if got := surveypage.Pick(tc.asked, tc.survey, tc.accept); got != tc.want {
			t.Errorf("Pick(%q, %q, %q) = %s, want %s", tc.asked, tc.survey, tc.accept, got, tc.want)
		}
	}
}

// The form labels every control and ties each error to its field.
func TestFormPage(t *testing.T) {
	var b bytes.Buffer
	p := surveypage.Page{Locale: surveypage.Locale{Lang: "en"}, Kind: "form", Action: "/surveys/x?lang=en", Subject: "Crane <stops>",
		AsksNPS: true, CommentBelow: 3, MaxComment: 2000, Fields: map[string]string{"csat": "required"}, Comment: "<b>hi</b>"}
	if err := surveypage.Render(&b, p); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`<html lang="en">`, `role="alert"`, `href="#csat-1"`, `aria-describedby="csat-error"`, `<label for="comment">`,
		`Crane &lt;stops&gt;`, `&lt;b&gt;hi&lt;/b&gt;`, `name="nps" value="10"`, `below 3`} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s in\n%s", want, html)
		}
	}
	if strings.Count(html, `type="radio" name="csat"`) != 5 || strings.Count(html, `type="radio" name="nps"`) != 11 {
		t.Error("scales")
	}
}

func TestEmail(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	e, err := surveypage.RenderEmail("", "Crane stops", "https://crm.example.com/surveys/t", at, at.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e.Lang != "" || !strings.Contains(e.Subject, "服务工单") || !strings.Contains(e.Subject, "How did we do?") ||
		strings.Count(e.Text, "https://crm.example.com/surveys/t") != 2 || !strings.Contains(e.Text, "2026年6月4日") || !strings.Contains(e.HTML, `lang="en"`) {
		t.Errorf("bilingual %+v", e)
	}
	e, _ = surveypage.RenderEmail("en", "Crane stops", "https://x/surveys/t", at, at)
	if e.Lang != "en" || strings.Contains(e.Text, "您好") || !strings.Contains(e.Text, "4 May 2026") {
		t.Errorf("English %+v", e)
	}
}
