package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
)

var testFrom = &Address{Name: "Closeloop", Address: "noreply@Example.com"}

func sample() Message {
	return Message{
		ID:      "0b7c6f8e-5d1a-4c3b-9e2f-1a2b3c4d5e6f",
		To:      Address{Name: "王芳", Address: "wang.fang@example.com"},
		Subject: "提醒：回电客户",
		Text:    "请在今天 17:00 前回电客户。",
		HTML:    "<p>请在今天 <b>17:00</b> 前回电客户。</p>",
		Headers: map[string]string{"X-Closeloop-Kind": "followup.remind"},
		Lang:    "zh-CN",
	}
}

// render builds m and parses the bytes go-mail would send.
func render(t *testing.T, m Message) *netmail.Message {
	t.Helper()
	msg, err := build(m, testFrom)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	parsed, err := netmail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

func TestMessageIsMultipartAlternativeWithTheIDsMessageID(t *testing.T) {
	m := render(t, sample())
	h := m.Header
	if got := h.Get("Message-ID"); got != "<0b7c6f8e-5d1a-4c3b-9e2f-1a2b3c4d5e6f@example.com>" {
		t.Fatalf("Message-ID %s", got)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "提醒：回电客户" {
		t.Fatalf("Subject %q (%q), %v", subject, h.Get("Subject"), err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "王芳" || to[0].Address != "wang.fang@example.com" {
		t.Fatalf("To %v, %v", to, err)
	}
	from, err := h.AddressList("From")
	if err != nil || from[0].Address != "noreply@Example.com" || from[0].Name != "Closeloop" {
		t.Fatalf("From %v, %v", from, err)
	}
	for k, want := range map[string]string{
		"Content-Language": "zh-CN", "Auto-Submitted": "auto-generated", "X-Closeloop-Kind": "followup.remind",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if h.Get("Date") == "" || h.Get("X-Mailer") != "" || h.Get("User-Agent") != "" {
		t.Errorf("Date %q, X-Mailer %q, User-Agent %q", h.Get("Date"), h.Get("X-Mailer"), h.Get("User-Agent"))
	}

	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q, %v", h.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p)
		types, bodies = append(types, ct), append(bodies, string(b))
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v (plain text first, HTML, the preferred one, last)", types)
	}
	if bodies[0] != sample().Text || bodies[1] != sample().HTML {
		t.Fatalf("bodies %q", bodies)
	}
}

func TestMessageWithOneBodyIsNotMultipart(t *testing.T) {
	for want, m := range map[string]Message{
		"text/plain": {ID: "a", To: Address{Address: "a@example.com"}, Subject: "s", Text: "t"},
		"text/html":  {ID: "a", To: Address{Address: "a@example.com"}, Subject: "s", HTML: "<p>t</p>"},
	} {
		if ct, _, _ := mime.ParseMediaType(render(t, m).Header.Get("Content-Type")); ct != want {
			t.Errorf("Content-Type %s, want %s", ct, want)
		}
	}
}

func TestUnsendableMessagesAreRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Message)
		want   string
	}{
		{"no id", func(m *Message) { m.ID = "" }, "no delivery id"},
		{"id with a space", func(m *Message) { m.ID = "a b" }, "not allowed in a Message-ID"},
		{"id with @", func(m *Message) { m.ID = "a@b" }, "not allowed in a Message-ID"},
		{"id with brackets", func(m *Message) { m.ID = "<a>" }, "not allowed in a Message-ID"},
		{"id with two dots", func(m *Message) { m.ID = "a..b" }, "empty part between dots"},
		{"id too long", func(m *Message) { m.ID = strings.Repeat("a", 129) }, "longer than 128"},
		{"no recipient", func(m *Message) { m.To = Address{} }, "no address"},
		{"recipient without domain", func(m *Message) { m.To.Address = "wang.fang" }, "not local@domain"},
		{"recipient with a space", func(m *Message) { m.To.Address = "wang fang@example.com" }, "cannot be sent as an SMTP address"},
		{"recipient with CRLF", func(m *Message) { m.To.Address = "a@example.com\r\nRCPT TO:<b@example.com>" }, "cannot be sent"},
		{"no body", func(m *Message) { m.Text, m.HTML = "", "" }, "no body"},
		{"subject with a line break", func(m *Message) { m.Subject = "hi\r\nBcc: x@example.com" }, "control character"},
		{"header value with a line break", func(m *Message) { m.Headers = map[string]string{"X-A": "1\nBcc: x@example.com"} }, "control character"},
		{"header name with a colon", func(m *Message) { m.Headers = map[string]string{"X-A:": "1"} }, "header name"},
		{"header name with a space", func(m *Message) { m.Headers = map[string]string{"X A": "1"} }, "header name"},
		{"reserved header", func(m *Message) { m.Headers = map[string]string{"message-id": "<x@y>"} }, "set by the sender itself"},
		{"reserved Bcc", func(m *Message) { m.Headers = map[string]string{"Bcc": "x@example.com"} }, "set by the sender itself"},
		{"bad language", func(m *Message) { m.Lang = "chinese!" }, "BCP 47"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample()
			tt.change(&m)
			if _, err := build(m, testFrom); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one that says %q", err, tt.want)
			}
		})
	}
}

func TestMessageIDDependsOnlyOnTheDeliveryIDAndTheSenderDomain(t *testing.T) {
	a, b := render(t, sample()), render(t, sample())
	if a.Header.Get("Message-ID") != b.Header.Get("Message-ID") {
		t.Fatalf("two builds of one delivery: %s, %s", a.Header.Get("Message-ID"), b.Header.Get("Message-ID"))
	}
	other := sample()
	other.ID = "other"
	if render(t, other).Header.Get("Message-ID") == a.Header.Get("Message-ID") {
		t.Fatal("two deliveries share a Message-ID")
	}
	s, err := New(Config{Host: "localhost", TLS: TLSNone, From: "CRM <crm@Mail.Example.com>", Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MessageID("d-1"); got != "<d-1@mail.example.com>" {
		t.Fatalf("Sender.MessageID %s", got)
	}
}
