package mail

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/text/language"
)

// Address is an email address with an optional display name, as net/mail
// has it: Address{Name: "王芳", Address: "wang.fang@example.com"}. The name
// is encoded for the header (RFC 2047) on the way out.
type Address = netmail.Address

// Message is one email to one recipient.
type Message struct {
	// ID is the delivery id: the same for every attempt at delivering this
	// message, derived by the caller from what it is about (for a follow-up
	// step's notification: follow-up, step and recipient), e.g. a UUID. The
	// SMTP Message-ID is built from it, so a retried activity, a replayed
	// workflow or a restarted worker sends the message under the same
	// Message-ID as the first attempt, and the receiving side (and its
	// mail client) can tell it is the same message. Letters, digits and
	// !#$%&'*+-/=?^_`{|}~ with single dots between them (an RFC 5322
	// dot-atom), at most 128 characters.
	ID string
	// To is the one recipient: a delivery is per recipient, so its outcome
	// (sent, bounced, refused) is per recipient as well.
	To Address
	// Subject may hold any Unicode text; it is encoded for the header.
	Subject string
	// Text and HTML are the plain-text and HTML bodies (UTF-8); with both,
	// the email is multipart/alternative and the reader's client picks.
	// At least one is required; Text should always be there for clients
	// and filters that do not render HTML.
	Text string
	HTML string
	// Headers are extra header fields, e.g. List-Unsubscribe or
	// X-Closeloop-Kind. Fields the Sender sets itself (From, To, Subject,
	// Message-ID, Date, the MIME fields, …) are refused here.
	Headers map[string]string
	// Lang is the BCP 47 language of the content (zh-CN, en), sent as
	// Content-Language so that screen readers and translators pick the
	// right voice and offer. Empty: none.
	Lang string
}

// maxIDLen keeps the Message-ID (id, "@", domain, brackets) within the
// 998-character line limit with a wide margin.
const maxIDLen = 128

// reservedHeaders are the fields Send writes itself: the message's identity,
// addressing and MIME structure. Letting Headers replace them would break
// the delivery id contract or the MIME tree.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"subject": true, "message-id": true, "date": true, "return-path": true, "received": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-language": true, "content-disposition": true,
}

// build turns m into a go-mail message from from, with the Message-ID
// <ID@domain of from>. Errors describe what is wrong with m; retrying
// cannot help them.
func build(m Message, from *netmail.Address) (*gomail.Msg, error) {
	if err := checkID(m.ID); err != nil {
		return nil, err
	}
	if err := checkAddress(m.To.Address); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To.Address, err)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, errors.New("no body: set Text, HTML or both")
	}
	if err := checkHeaderText("subject", m.Subject); err != nil {
		return nil, err
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ToMailAddress(&Address{Name: m.To.Name, Address: m.To.Address})
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(messageID(m.ID, from))
	msg.SetDate()
	// Notifications are machine-made: RFC 3834 asks vacation responders and
	// other auto-repliers not to answer them (and so not to loop).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.Lang != "" {
		tag, err := language.Parse(m.Lang)
		if err != nil {
			return nil, fmt.Errorf("lang %q: not a BCP 47 language tag", m.Lang)
		}
		msg.SetGenHeader("Content-Language", tag.String())
	}
	for name, value := range m.Headers {
		if err := checkHeaderName(name); err != nil {
			return nil, err
		}
		if err := checkHeaderText(name, value); err != nil {
			return nil, err
		}
		msg.SetGenHeader(gomail.Header(name), value)
	}

	switch {
	case m.Text != "" && m.HTML != "":
		// The part a client prefers goes last (RFC 2046 §5.1.4).
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, nil
}

// messageID is the Message-ID (without brackets) of the delivery id. Its
// right-hand side is the sender's domain rather than a fixed name: spam
// filters look askance at Message-IDs whose domain is not a real one, and
// the sender's domain is one the operator owns.
func messageID(id string, from *netmail.Address) string {
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return id + "@" + strings.ToLower(domain)
}

// checkID accepts an RFC 5322 dot-atom of at most maxIDLen characters: what
// may stand left of the "@" of a Message-ID without quoting. UUIDs,
// ULIDs and hex or base32 hashes all are.
func checkID(id string) error {
	if id == "" {
		return errors.New("no delivery id: set Message.ID")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("delivery id %q: longer than %d characters", id, maxIDLen)
	}
	for _, atom := range strings.Split(id, ".") {
		if atom == "" {
			return fmt.Errorf("delivery id %q: empty part between dots", id)
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return fmt.Errorf("delivery id %q: character %q not allowed in a Message-ID", id, atom[i])
			}
		}
	}
	return nil
}

// isAtext is RFC 5322's atext: the characters of an unquoted atom.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// checkAddress accepts an address as SMTP carries it in MAIL FROM and RCPT
// TO: local@domain, no spaces, quotes or control characters. (net/mail
// reads `"a b"@example.com` as the address `a b@example.com`, which no
// server takes.) Non-ASCII addresses pass; servers without SMTPUTF8 refuse
// them, permanently.
func checkAddress(addr string) error {
	at := strings.LastIndexByte(addr, '@')
	switch {
	case addr == "":
		return errors.New("no address")
	case at <= 0 || at == len(addr)-1:
		return errors.New("not local@domain")
	case strings.ContainsAny(addr, " \t\r\n\"<>()[],;:\\"):
		return errors.New("spaces, quotes or brackets cannot be sent as an SMTP address")
	}
	if _, err := netmail.ParseAddress(addr); err != nil {
		return fmt.Errorf("not an email address (%v)", err)
	}
	return nil
}

// checkHeaderName accepts a field name (RFC 5322 ftext: printable ASCII
// without ":") that is not one of reservedHeaders.
func checkHeaderName(name string) error {
	if name == "" {
		return errors.New("header with an empty name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return fmt.Errorf("header name %q: printable ASCII without spaces or colons only", name)
		}
	}
	if reservedHeaders[strings.ToLower(name)] {
		return fmt.Errorf("header %s is set by the sender itself and cannot be given in Headers", name)
	}
	return nil
}

// checkHeaderText refuses line breaks and other control characters in a
// header value: they would end the field early and let the rest of the
// value be read as headers of its own (header injection).
func checkHeaderText(name, value string) error {
	for _, r := range value {
		if r < 32 && r != '\t' || r == 127 {
			return fmt.Errorf("%s: control character %U not allowed in a header", name, r)
		}
	}
	return nil
}
