package testenv

import (
	"context"
	"net/smtp"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMailpitCatchesMailAndTheClientReadsItBack(t *testing.T) {
	smtpAddr, api := Mailpit(t)
	raw := "From: Closeloop <noreply@example.com>\r\n" +
		"To: Wang Fang <wang.fang@example.com>\r\n" +
		"Subject: hello\r\n" +
		"Message-ID: <testenv-1@example.com>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"plain body\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "noreply@example.com", []string{"wang.fang@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := MailpitClient{URL: api}
	list, err := c.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Subject != "hello" || list[0].MessageID != "testenv-1@example.com" {
		t.Fatalf("messages: %+v", list)
	}
	m, err := c.Message(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.To) != 1 || m.To[0].Address != "wang.fang@example.com" || m.To[0].Name != "Wang Fang" ||
		m.From.Address != "noreply@example.com" || strings.TrimSpace(m.Text) != "plain body" {
		t.Fatalf("message: %+v", m)
	}
	h, err := c.Headers(ctx, m.ID)
	if err != nil || len(h["Message-Id"]) != 1 || h["Message-Id"][0] != "<testenv-1@example.com>" {
		t.Fatalf("headers %v, %v", h, err)
	}
	src, err := c.Raw(ctx, m.ID)
	if err != nil || !strings.Contains(string(src), "plain body") {
		t.Fatalf("raw %q, %v", src, err)
	}
	if err := c.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	if list, err := c.Messages(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after DeleteAll: %v, %v", list, err)
	}
}

func TestMailpitChaosIsSetThroughTheClient(t *testing.T) {
	smtpAddr, api := Mailpit(t, "--enable-chaos")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := MailpitClient{URL: api}
	if err := c.SetChaos(ctx, MailpitChaos{Recipient: &MailpitTrigger{ErrorCode: 451, Probability: 100}}); err != nil {
		t.Fatal(err)
	}
	err := smtp.SendMail(smtpAddr, nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nx\r\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "451") {
		t.Fatalf("RCPT TO with a 451 trigger: %v", err)
	}
	if err := c.SetChaos(ctx, MailpitChaos{}); err != nil {
		t.Fatal(err)
	}
	if err := smtp.SendMail(smtpAddr, nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("after resetting chaos: %v", err)
	}
}

func TestMailpitBinaryIsFoundOrTheFailureSaysHowToGetIt(t *testing.T) {
	t.Setenv(MailpitEnv, filepath.Join(t.TempDir(), "missing"))
	if _, err := mailpitBinary(); err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("a missing Mailpit must be an error that mentions `make tools`, got %v", err)
	}
}
