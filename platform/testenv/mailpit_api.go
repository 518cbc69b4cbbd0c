package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MailpitClient reads what a Mailpit caught, through its REST API v1 (the
// routes and JSON fields as in Mailpit v1.33.1's server/apiv1; its web page
// is not part of a source build). Message-IDs come without angle brackets,
// as Mailpit stores them.
type MailpitClient struct {
	URL  string       // the API base URL Mailpit returned
	HTTP *http.Client // http.DefaultClient when nil
}

// MailpitSummary is one message in GET /api/v1/messages.
type MailpitSummary struct {
	ID        string // Mailpit's own id, for Message
	MessageID string
	From      *mail.Address
	To        []*mail.Address
	Cc        []*mail.Address
	Subject   string
	Username  string // the SMTP AUTH user that sent it, if any
	Created   time.Time
	Snippet   string
}

// MailpitMessage is GET /api/v1/message/{ID}: the parsed message, bodies
// decoded (quoted-printable or base64, the charset converted to UTF-8).
type MailpitMessage struct {
	ID         string
	MessageID  string
	From       *mail.Address
	To         []*mail.Address
	Cc         []*mail.Address
	Bcc        []*mail.Address
	ReplyTo    []*mail.Address
	ReturnPath string
	Subject    string
	Date       time.Time
	Username   string
	Text       string
	HTML       string
	Size       uint64
}

// MailpitChaos are the failures Mailpit answers with (PUT /api/v1/chaos;
// Mailpit must run with --enable-chaos): per SMTP step an error code
// (400-599) and the probability (0-100) of answering it. A nil trigger is
// reset to none.
type MailpitChaos struct {
	Sender         *MailpitTrigger `json:",omitempty"` // MAIL FROM
	Recipient      *MailpitTrigger `json:",omitempty"` // RCPT TO
	Authentication *MailpitTrigger `json:",omitempty"` // AUTH
}

// MailpitTrigger is one chaos trigger.
type MailpitTrigger struct {
	ErrorCode   int
	Probability int
}

// Messages lists every message caught, newest first.
func (c MailpitClient) Messages(ctx context.Context) ([]MailpitSummary, error) {
	const page = 100
	var all []MailpitSummary
	for start := 0; ; start += page {
		var res struct {
			Total    int              `json:"total"`
			Messages []MailpitSummary `json:"messages"`
		}
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(page)}}
		if err := c.do(ctx, http.MethodGet, "/api/v1/messages?"+q.Encode(), nil, &res); err != nil {
			return nil, err
		}
		all = append(all, res.Messages...)
		if len(res.Messages) < page || len(all) >= res.Total {
			return all, nil
		}
	}
}

// Message reads one message by Mailpit's id (MailpitSummary.ID).
func (c MailpitClient) Message(ctx context.Context, id string) (MailpitMessage, error) {
	var m MailpitMessage
	err := c.do(ctx, http.MethodGet, "/api/v1/message/"+url.PathEscape(id), nil, &m)
	return m, err
}

// Headers returns the message's header fields as sent (values not decoded).
func (c MailpitClient) Headers(ctx context.Context, id string) (map[string][]string, error) {
	var h map[string][]string
	err := c.do(ctx, http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/headers", nil, &h)
	return h, err
}

// Raw returns the message source as received.
func (c MailpitClient) Raw(ctx context.Context, id string) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/raw", nil, &raw)
	return raw, err
}

// DeleteAll deletes every message caught so far.
func (c MailpitClient) DeleteAll(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/messages", nil, nil)
}

// SetChaos sets the failures Mailpit answers with from now on.
func (c MailpitClient) SetChaos(ctx context.Context, chaos MailpitChaos) error {
	body, err := json.Marshal(chaos)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, "/api/v1/chaos", body, nil)
}

// do sends one request; out is JSON-decoded, or filled with the body when
// it is a *[]byte.
func (c MailpitClient) do(ctx context.Context, method, path string, body []byte, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("mailpit: %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mailpit: %s %s: %w", method, path, err)
	}
	return nil
}
