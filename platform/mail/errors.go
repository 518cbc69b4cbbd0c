package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// ErrPermanent marks a delivery that will fail however often it is retried:
// errors.Is(err, ErrPermanent) (or Permanent(err)) tells a retry policy to
// record the failure and stop. Everything else Send returns is temporary.
var ErrPermanent = errors.New("permanent delivery failure")

// Permanent reports whether err is a permanent delivery failure.
func Permanent(err error) bool { return errors.Is(err, ErrPermanent) }

// Error is a failed delivery, classified for a retry policy:
//
//   - permanent: the server refused this message with a 5xx reply to MAIL
//     FROM, RCPT TO or DATA (550 mailbox unavailable, 553 bad address, 554
//     rejected content), or the message itself is unsendable (no delivery
//     id, an invalid recipient address, a forbidden header);
//   - temporary: a 4xx reply (451, 452: try later), and everything before
//     the message is even offered: connection refused or reset, timeouts,
//     the caller's cancellation, a failed TLS handshake or certificate check,
//     and refusals while the session is set up (greeting, EHLO, STARTTLS,
//     AUTH), 5xx included, as well as 530 (authenticate or STARTTLS first)
//     to MAIL FROM. Those say something about the relay or this side's
//     configuration (a rotated password, a certificate), not about the
//     message: once fixed, a retry delivers it, so failing it for good
//     would lose notifications to an operator's typo.
//
// The text never contains SMTP_PASSWORD.
type Error struct {
	// DeliveryID is the Message.ID of the failed delivery.
	DeliveryID string
	// Code is the server's SMTP reply code (550, 451, 535, …); 0 when the
	// failure was not a reply (network, TLS, a message refused before
	// sending).
	Code int
	// EnhancedCode is the RFC 3463 status (5.1.1, 4.7.0, …) when the server
	// sent one.
	EnhancedCode string

	permanent bool
	msg       string // the scrubbed text
	err       error
}

func (e *Error) Error() string { return e.msg }

// Unwrap gives the cause (a go-mail SendError, a *textproto.Error, a
// net.Error, context.DeadlineExceeded, …) for errors.Is and errors.As.
// Its text is the server's, unscrubbed: log the Error, not the cause.
func (e *Error) Unwrap() error { return e.err }

// Temporary reports whether a later attempt may succeed.
func (e *Error) Temporary() bool { return !e.permanent }

// Is makes errors.Is(err, ErrPermanent) true for permanent failures.
func (e *Error) Is(target error) bool { return target == ErrPermanent && e.permanent }

// stage is where in a delivery an error happened; it decides how a reply
// code is read (see Error).
type stage int

const (
	stageMessage stage = iota // building the message, before any connection
	stageSession              // dial, TLS, greeting, EHLO, STARTTLS, AUTH
	stageSend                 // MAIL FROM, RCPT TO, DATA
)

// classify wraps err, which happened at stage st of delivery id, into an
// *Error. ctx is the caller's: when it is done, its error is what counts
// (the connection was closed because of it).
func (s *Sender) classify(ctx context.Context, id string, st stage, err error) *Error {
	e := &Error{DeliveryID: id, err: err}
	var what string
	switch st {
	case stageMessage:
		e.permanent = true
		what = "message not sendable"
	case stageSession:
		what = "connecting to " + s.addr
		e.Code, e.EnhancedCode = replyCode(err)
	case stageSend:
		what = "sending through " + s.addr
		e.Code, e.EnhancedCode = replyCode(err)
		// 530 is "authenticate first" or "STARTTLS first" (RFC 4954, 3207):
		// this side's configuration, like a refused login.
		e.permanent = e.Code >= 500 && e.Code <= 599 && e.Code != 530 || unsendable(err)
	}
	// Without a reply, a done ctx is the cause: Send closed the connection
	// because of it.
	if ctxErr := ctx.Err(); ctxErr != nil && !e.permanent && e.Code == 0 {
		if !errors.Is(err, ctxErr) {
			e.err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
	}
	kind := "temporary"
	if e.permanent {
		kind = "permanent"
	}
	e.msg = fmt.Sprintf("mail: delivery %s: %s: %s failure: %s", id, what, kind, s.scrub(e.err.Error()))
	return e
}

// replyCode finds the SMTP reply in err: go-mail's SendError carries it for
// MAIL FROM, RCPT TO and DATA; the session's steps return the
// *textproto.Error of the reply itself.
func replyCode(err error) (code int, enhanced string) {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode(), se.EnhancedStatusCode()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code, enhancedStatus(te.Msg)
	}
	return 0, ""
}

// unsendable reports go-mail's refusals of the message itself, before any
// reply: addresses it cannot read, 8-bit content a server cannot take.
func unsendable(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return true
	}
	return false
}

// enhancedStatus is the RFC 3463 status code a reply text starts with, if
// any ("5.7.8 Authentication failed" → "5.7.8").
func enhancedStatus(text string) string {
	f, _, _ := strings.Cut(text, " ")
	parts := strings.Split(f, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.Contains("245", parts[0]) {
		return ""
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return f
}

// scrub removes the password, as typed and in the base64 forms PLAIN and
// LOGIN send it in, from the text of a cause: a server that echoes a
// rejected AUTH line back must not put the password into logs through our
// error.
func (s *Sender) scrub(text string) string {
	p := s.cfg.Password
	if p == "" {
		return text
	}
	for _, secret := range []string{
		base64.StdEncoding.EncodeToString([]byte("\x00" + s.cfg.Username + "\x00" + p)),
		base64.StdEncoding.EncodeToString([]byte(p)),
		p,
	} {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return text
}
