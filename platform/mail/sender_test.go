package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// mailpit starts a Mailpit with flags and returns a Config that sends to it
// in clear text, and a client of its API.
func mailpit(t *testing.T, flags ...string) (Config, testenv.MailpitClient) {
	t.Helper()
	smtpAddr, api := testenv.Mailpit(t, flags...)
	host, port := splitHostPort(t, smtpAddr)
	cfg := Config{Host: host, Port: port, TLS: TLSNone, From: "Closeloop 提醒 <noreply@closeloop.example>", Timeout: 10 * time.Second}
	return cfg, testenv.MailpitClient{URL: api}
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// caught lists what Mailpit caught, and reads the first message in full.
func caught(t *testing.T, c testenv.MailpitClient) ([]testenv.MailpitSummary, testenv.MailpitMessage) {
	t.Helper()
	list, err := c.Messages(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		return nil, testenv.MailpitMessage{}
	}
	m, err := c.Message(ctxT(t), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return list, m
}

func TestSendDeliversBothPartsUnderTheDeliveryMessageID(t *testing.T) {
	cfg, api := mailpit(t)
	s := newSender(t, cfg)
	msg := sample()
	if err := s.Send(ctxT(t), msg); err != nil {
		t.Fatal(err)
	}

	list, m := caught(t, api)
	if len(list) != 1 {
		t.Fatalf("Mailpit caught %d messages", len(list))
	}
	if m.Subject != "提醒：回电客户" {
		t.Errorf("Subject %q", m.Subject)
	}
	if m.MessageID != msg.ID+"@closeloop.example" || "<"+m.MessageID+">" != s.MessageID(msg.ID) {
		t.Errorf("Message-ID %q, Sender.MessageID %q", m.MessageID, s.MessageID(msg.ID))
	}
	if len(m.To) != 1 || m.To[0].Address != "wang.fang@example.com" || m.To[0].Name != "王芳" {
		t.Errorf("To %+v", m.To)
	}
	if m.From == nil || m.From.Address != "noreply@closeloop.example" || m.From.Name != "Closeloop 提醒" {
		t.Errorf("From %+v", m.From)
	}
	if m.ReturnPath != "noreply@closeloop.example" {
		t.Errorf("Return-Path (the envelope sender) %q", m.ReturnPath)
	}
	if strings.TrimSpace(m.Text) != msg.Text || strings.TrimSpace(m.HTML) != msg.HTML {
		t.Errorf("Text %q, HTML %q", m.Text, m.HTML)
	}

	h, err := api.Headers(ctxT(t), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ct := strings.Join(h["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type %q", ct)
	}
	if subj := strings.Join(h["Subject"], ""); !strings.Contains(subj, "=?UTF-8?q?") {
		t.Errorf("Subject as sent %q: want RFC 2047 encoded words", subj)
	}
	if lang := strings.Join(h["Content-Language"], ""); lang != "zh-CN" {
		t.Errorf("Content-Language %q", lang)
	}
	if kind := strings.Join(h["X-Closeloop-Kind"], ""); kind != "followup.remind" {
		t.Errorf("X-Closeloop-Kind %q", kind)
	}
}

func TestSendingADeliveryAgainCarriesTheSameMessageID(t *testing.T) {
	cfg, api := mailpit(t)
	s := newSender(t, cfg)
	for range 2 { // as a retried activity would
		if err := s.Send(ctxT(t), sample()); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := caught(t, api)
	if len(list) != 2 || list[0].MessageID != list[1].MessageID || list[0].MessageID != sample().ID+"@closeloop.example" {
		t.Fatalf("two sends of one delivery: %+v", list)
	}
}

func TestAReceiverThatDropsDuplicateMessageIDsKeepsOneCopy(t *testing.T) {
	// Mailpit v1.33.1's --ignore-duplicate-ids acts as receivers that
	// de-duplicate by Message-ID do: the second copy is accepted (250) and
	// dropped.
	cfg, api := mailpit(t, "--ignore-duplicate-ids")
	s := newSender(t, cfg)
	for range 2 {
		if err := s.Send(ctxT(t), sample()); err != nil {
			t.Fatal(err)
		}
	}
	other := sample()
	other.ID = "another-delivery"
	if err := s.Send(ctxT(t), other); err != nil {
		t.Fatal(err)
	}
	list, _ := caught(t, api)
	if len(list) != 2 {
		t.Fatalf("caught %d messages, want the delivery once and the other one: %+v", len(list), list)
	}
}

func TestSendAuthenticatesWithTheConfiguredUser(t *testing.T) {
	cfg, api := mailpit(t, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	cfg.Username, cfg.Password = "closeloop-crm", "any-password"
	if err := newSender(t, cfg).Send(ctxT(t), sample()); err != nil {
		t.Fatal(err)
	}
	list, _ := caught(t, api)
	if len(list) != 1 || list[0].Username != "closeloop-crm" {
		t.Fatalf("Mailpit saw %+v, want one message sent as closeloop-crm", list)
	}
}

func TestSendHonoursTheHELOName(t *testing.T) {
	cfg, api := mailpit(t)
	cfg.HELO = "crm.closeloop.example"
	if err := newSender(t, cfg).Send(ctxT(t), sample()); err != nil {
		t.Fatal(err)
	}
	_, m := caught(t, api)
	raw, err := api.Raw(ctxT(t), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Mailpit records the EHLO name in the Received header it adds.
	if !strings.Contains(string(raw), "crm.closeloop.example") {
		t.Fatalf("EHLO name not in the received message:\n%.600s", raw)
	}
}
