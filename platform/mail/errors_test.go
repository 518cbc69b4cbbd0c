package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// checkClass asserts err is an *Error of the given class and reply code.
func checkClass(t *testing.T, err error, permanent bool, code int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *mail.Error", err, err)
	}
	if Permanent(err) != permanent || errors.Is(err, ErrPermanent) != permanent || e.Temporary() == permanent {
		t.Fatalf("permanent=%v, want %v: %v", Permanent(err), permanent, err)
	}
	if e.Code != code {
		t.Fatalf("code %d, want %d: %v", e.Code, code, err)
	}
	if e.DeliveryID != sample().ID || !strings.Contains(e.Error(), sample().ID) {
		t.Fatalf("error does not name the delivery: %+v", e)
	}
	return e
}

func TestAMailboxThatDoesNotExistIsPermanent(t *testing.T) {
	// Mailpit answers RCPT TO of addresses outside the pattern with
	// "550 5.1.0 Requested action not taken: mailbox unavailable".
	cfg, api := mailpit(t, "--smtp-allowed-recipients", `^ok@example\.com$`)
	err := newSender(t, cfg).Send(ctxT(t), sample())
	if e := checkClass(t, err, true, 550); e.EnhancedCode != "5.1.0" {
		t.Fatalf("enhanced code %q: %v", e.EnhancedCode, e)
	}
	if list, _ := caught(t, api); len(list) != 0 {
		t.Fatalf("refused message caught: %+v", list)
	}
}

func TestReplyCodesDecidePermanentOrTemporary(t *testing.T) {
	cfg, api := mailpit(t, "--enable-chaos", "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	trig := func(code int) *testenv.MailpitTrigger {
		return &testenv.MailpitTrigger{ErrorCode: code, Probability: 100}
	}
	tests := []struct {
		name      string
		chaos     testenv.MailpitChaos
		auth      bool
		permanent bool
		code      int
	}{
		{"553 to RCPT TO (bad address)", testenv.MailpitChaos{Recipient: trig(553)}, false, true, 553},
		{"550 to MAIL FROM", testenv.MailpitChaos{Sender: trig(550)}, false, true, 550},
		{"554 to RCPT TO", testenv.MailpitChaos{Recipient: trig(554)}, false, true, 554},
		{"451 to RCPT TO (try later)", testenv.MailpitChaos{Recipient: trig(451)}, false, false, 451},
		{"452 to RCPT TO", testenv.MailpitChaos{Recipient: trig(452)}, false, false, 452},
		{"421 to MAIL FROM", testenv.MailpitChaos{Sender: trig(421)}, false, false, 421},
		// Refusing this side's login says nothing about the message: fix
		// the credentials and a retry delivers it.
		{"535 to AUTH", testenv.MailpitChaos{Authentication: trig(535)}, true, false, 535},
		{"454 to AUTH", testenv.MailpitChaos{Authentication: trig(454)}, true, false, 454},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := api.SetChaos(ctxT(t), tt.chaos); err != nil {
				t.Fatal(err)
			}
			c := cfg
			if tt.auth {
				c.Username, c.Password = "crm", "pw"
			}
			checkClass(t, newSender(t, c).Send(ctxT(t), sample()), tt.permanent, tt.code)
		})
	}
	if err := api.SetChaos(ctxT(t), testenv.MailpitChaos{}); err != nil {
		t.Fatal(err)
	}
	if err := newSender(t, cfg).Send(ctxT(t), sample()); err != nil {
		t.Fatalf("after the chaos: %v", err)
	}
	if list, _ := caught(t, api); len(list) != 1 {
		t.Fatalf("caught %d messages, want only the last one", len(list))
	}
}

func TestAWrongPasswordIsTemporaryAndTheErrorDoesNotShowIt(t *testing.T) {
	users := filepath.Join(t.TempDir(), "smtp-users")
	if err := os.WriteFile(users, []byte("crm:right-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, api := mailpit(t, "--smtp-auth-file", users, "--smtp-auth-allow-insecure")
	cfg.Username, cfg.Password = "crm", "hunter2-wrong"
	err := newSender(t, cfg).Send(ctxT(t), sample())
	e := checkClass(t, err, false, 535)
	for _, text := range []string{e.Error(), err.Error()} {
		if strings.Contains(text, cfg.Password) {
			t.Fatalf("error shows the password: %s", text)
		}
	}

	cfg.Password = "right-password"
	if err := newSender(t, cfg).Send(ctxT(t), sample()); err != nil {
		t.Fatal(err)
	}
	if list, _ := caught(t, api); len(list) != 1 || list[0].Username != "crm" {
		t.Fatalf("caught %+v", list)
	}
}

func TestTheErrorTextIsScrubbedOfThePassword(t *testing.T) {
	s := newSender(t, Config{Host: "localhost", TLS: TLSNone, From: "a@example.com", Timeout: time.Second, Username: "crm", Password: "pw!x"})
	// A server that echoes the AUTH PLAIN line, the LOGIN password or the
	// password itself back.
	plain := base64.StdEncoding.EncodeToString([]byte("\x00crm\x00pw!x"))
	login := base64.StdEncoding.EncodeToString([]byte("pw!x"))
	err := s.classify(context.Background(), "d", stageSession, errors.New("535 rejected "+plain+" for crm/pw!x ("+login+")"))
	for _, secret := range []string{"pw!x", plain, login} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("%s not scrubbed: %s", secret, err)
		}
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return splitHostPort(t, l.Addr().String())
}

func TestNetworkTroubleIsTemporary(t *testing.T) {
	base := Config{TLS: TLSNone, From: "a@example.com", Timeout: 10 * time.Second}

	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg := base
		cfg.Host, cfg.Port = splitHostPort(t, l.Addr().String())
		_ = l.Close()
		e := checkClass(t, newSender(t, cfg).Send(ctxT(t), sample()), false, 0)
		if !strings.Contains(e.Error(), "refused") {
			t.Fatalf("error %q", e)
		}
	})

	t.Run("SMTP_TIMEOUT with a server that never greets", func(t *testing.T) {
		cfg := base
		cfg.Host, cfg.Port = silentServer(t)
		cfg.Timeout = 300 * time.Millisecond
		start := time.Now()
		err := newSender(t, cfg).Send(ctxT(t), sample())
		checkClass(t, err, false, 0)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("not a timeout: %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("took %s with SMTP_TIMEOUT=300ms", took)
		}
	})

	t.Run("the caller's deadline ends a delivery in progress", func(t *testing.T) {
		cfg := base
		cfg.Host, cfg.Port = silentServer(t)
		cfg.Timeout = time.Minute
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := newSender(t, cfg).Send(ctx, sample())
		checkClass(t, err, false, 0)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("not the caller's deadline: %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("took %s with a 300ms deadline", took)
		}
	})

	t.Run("a cancelled caller", func(t *testing.T) {
		cfg := base
		cfg.Host, cfg.Port = silentServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		err := newSender(t, cfg).Send(ctx, sample())
		checkClass(t, err, false, 0)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("not the cancellation: %v", err)
		}
	})
}

func TestAnUnsendableMessageIsPermanentAndNeverConnects(t *testing.T) {
	// Nothing listens on the port: had Send connected, the error would be a
	// temporary "connection refused".
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port := splitHostPort(t, l.Addr().String())
	_ = l.Close()
	s := newSender(t, Config{Host: host, Port: port, TLS: TLSNone, From: "a@example.com", Timeout: time.Second})
	m := sample()
	m.To.Address = "not-an-address"
	checkClass(t, s.Send(ctxT(t), m), true, 0)
}
