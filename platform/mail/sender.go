// Package mail sends Closeloop's email notifications over SMTP, with
// github.com/wneessen/go-mail underneath.
//
// It is the transport only: a Message arrives rendered (subject, plain-text
// and HTML bodies, from templates upstream) and addressed to one person, and
// Send either hands it to the relay or says why not, in a way a retry policy
// can act on (Permanent, *Error). What was sent to whom, and whether to try
// again, is recorded by the caller.
//
// Three properties make it fit for a notification pipeline that runs on
// Temporal, where an activity may run more than once:
//
//   - a message's Message-ID is derived from its delivery id (Message.ID), so
//     a resend after a crash, a retry or a replay carries the Message-ID of
//     the first attempt, and the two can be told to be one message;
//   - failures are classified: 5xx refusals of the message are permanent
//     (record the bounce, do not retry); 4xx replies, network and TLS
//     trouble and the relay's refusal of this side's session are temporary
//     (retry per policy). See Error;
//   - Send honours the caller's context: its deadline and cancellation end a
//     delivery in progress, so a stuck relay never holds a workflow's
//     activity past its timeout.
//
// The relay is configured by SMTP_* variables (Config). The password never
// appears in logs or errors: Config's String and LogValue redact it, go-mail
// is not given a logger, and Error scrubs it from server replies.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"

	gomail "github.com/wneessen/go-mail"
)

// Auth mechanisms, strongest first, that Send offers a relay over TLS;
// go-mail picks the first one the relay announces.
var authOverTLS = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256PLUS, gomail.SMTPAuthSCRAMSHA256,
	gomail.SMTPAuthSCRAMSHA1PLUS, gomail.SMTPAuthSCRAMSHA1,
	gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
}

// Auth mechanisms without TLS, which Validate allows on loopback only: the
// challenge-response ones first, then PLAIN and LOGIN (which go-mail refuses
// to send in clear text unless told, hence the -NOENC variants).
var authInClear = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
	gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc,
}

// Sender delivers Messages through one SMTP relay. It is safe for
// concurrent use. Each Send opens its own connection and closes it: a
// notification channel sends a few messages a minute, not thousands a
// second, and a connection per message keeps one bad session from
// affecting the next.
type Sender struct {
	cfg  Config
	from *netmail.Address
	host string
	addr string      // host:port
	tls  *tls.Config // nil with TLSNone
}

// New validates cfg and returns a Sender. It does not connect: a relay that
// is down at start is a temporary failure of the first Send, not a reason
// for the binary not to start.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	from, err := parseFrom(cfg.From)
	if err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg, from: from, host: strings.TrimSpace(cfg.Host)}
	s.addr = net.JoinHostPort(s.host, strconv.Itoa(cfg.port()))
	if cfg.TLS != TLSNone {
		if s.tls, err = cfg.tlsConfig(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MessageID returns the Message-ID header value Send gives the delivery id,
// with angle brackets: for storing with the delivery, and for matching a
// bounce (which quotes it) to the delivery it reports on.
func (s *Sender) MessageID(deliveryID string) string {
	return "<" + messageID(deliveryID, s.from) + ">"
}

// Send delivers m: connect (with the configured TLS), authenticate if
// configured, MAIL FROM, RCPT TO, DATA. It returns nil once the relay has
// accepted the message, else an *Error; Permanent tells whether retrying
// can help. Sending the same m again sends a second copy under the same
// Message-ID: keeping a delivered message from being sent again is the
// caller's record of deliveries.
//
// The whole delivery ends when ctx does. SMTP_TIMEOUT limits connecting
// (TLS and login included) and, again, handing the message over.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := build(m, s.from)
	if err != nil {
		return s.classify(ctx, m.ID, stageMessage, err)
	}
	if err := ctx.Err(); err != nil {
		return s.classify(ctx, m.ID, stageSession, err)
	}

	conn := &connHolder{}
	defer conn.close()
	client, err := gomail.NewClient(s.host, s.options(ctx, conn)...)
	if err != nil {
		return s.classify(ctx, m.ID, stageSession, err)
	}
	session, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.classify(ctx, m.ID, stageSession, err)
	}
	if err := client.SendWithSMTPClient(session, msg); err != nil {
		return s.classify(ctx, m.ID, stageSend, err)
	}
	// The relay took the message with its reply to DATA; a failing QUIT
	// does not take that back.
	_ = client.CloseWithSMTPClient(session)
	return nil
}

// options are the go-mail client settings for one delivery.
func (s *Sender) options(ctx context.Context, conn *connHolder) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.port()),
		// Once for the session's set-up, once for the message; the caller's
		// deadline is enforced by the dialer closing the connection, so
		// that the error says which of the two ran out.
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(s.dialer(ctx, conn)),
		gomail.WithoutNoop(), // the connection is fresh: no need to check it
	}
	switch s.cfg.TLS {
	case TLSStartTLS:
		// Mandatory: a relay (or a man in the middle) that does not offer
		// STARTTLS fails the delivery instead of getting it in clear text.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(s.tls.Clone()))
	default:
		// none, or tls, whose handshake the dialer has done already.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	if s.cfg.Username != "" {
		mechs := authOverTLS
		if s.cfg.TLS == TLSNone {
			mechs = authInClear
		}
		opts = append(opts, gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(mechs...))
	}
	return opts
}

// dialer connects to the relay for go-mail: TCP, then for TLSImplicit the
// TLS handshake (go-mail sees a *tls.Conn and knows the session is
// encrypted). It ties the connection to ctx, so that the caller's deadline
// or cancellation interrupts a delivery in any step, and records it in conn
// so that Send closes it whatever happens (go-mail leaves it open when a
// step after the greeting fails).
func (s *Sender) dialer(ctx context.Context, conn *connHolder) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(dialCtx, network, s.addr)
		if err != nil {
			return nil, err
		}
		conn.set(raw, context.AfterFunc(ctx, func() { _ = raw.Close() }))
		if s.cfg.TLS != TLSImplicit {
			return raw, nil
		}
		tc := tls.Client(raw, s.tls.Clone())
		if err := tc.HandshakeContext(dialCtx); err != nil {
			return nil, fmt.Errorf("TLS handshake with %s: %w", s.addr, err)
		}
		return tc, nil
	}
}

// connHolder keeps the connection of one delivery for closing it.
type connHolder struct {
	mu   sync.Mutex
	conn net.Conn
	stop func() bool // ends the ctx watch
}

func (h *connHolder) set(c net.Conn, stop func() bool) {
	h.mu.Lock()
	h.conn, h.stop = c, stop
	h.mu.Unlock()
}

func (h *connHolder) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stop != nil {
		h.stop()
	}
	if h.conn != nil {
		_ = h.conn.Close()
	}
}
