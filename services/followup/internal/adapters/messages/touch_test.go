package messages_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/messages"
)

// TestRenderTouch: a campaign's email is the marketer's subject and body
// as written — escaped in the HTML part, paragraphs kept — followed by the
// footer with the unsubscribe link, in the footer's language; without a
// link it is refused.
func TestRenderTouch(t *testing.T) {
	link := "https://crm.example.com/unsubscribe/tok_en-1"
	r, err := messages.RenderTouch(messages.Touch{Subject: "Spring <offer> & more", Body: "Dear customer,\r\n\r\nour <b>new</b> plan:\nline two", Language: "en",
		UnsubscribeURL: link})
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Spring <offer> & more" {
		t.Errorf("subject %q", r.Subject)
	}
	for _, want := range []string{"Dear customer,\n\nour <b>new</b> plan:\nline two\n", "To receive no more marketing from us, unsubscribe: " + link} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	for _, want := range []string{`<p style="margin:0 0 14px;">Dear customer,</p>`, `our &lt;b&gt;new&lt;/b&gt; plan:<br>line two`,
		`<a href="` + link + `"`, `<html lang="en">`, `<title>Spring &lt;offer&gt; &amp; more</title>`} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, r.HTML)
		}
	}
	if strings.Contains(r.HTML, "<b>new</b>") {
		t.Error("the marketer's text reached the HTML unescaped")
	}

	zh, err := messages.RenderTouch(messages.Touch{Subject: "春季优惠", Body: "尊敬的客户：", Language: "zh-Hans", UnsubscribeURL: link})
	if err != nil || !strings.Contains(zh.Text, "如不想再收到我们的营销信息，请退订：") || !strings.Contains(zh.HTML, `lang="zh-Hans"`) || !strings.Contains(zh.HTML, ">退订</a>") {
		t.Errorf("Chinese footer: %v\n%s", err, zh.Text)
	}
	if _, err := messages.RenderTouch(messages.Touch{Subject: "s", Body: "b"}); !errors.Is(err, messages.ErrNoUnsubscribeLink) {
		t.Errorf("without a link: %v", err)
	}
}
