package domain

import (
	"crypto/sha256"
	"encoding/hex"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Touch emails: a marketing campaign's email to a customer's contact (a
// touch of a campaign whose first channel is email, or a win-back step
// "email"), handed over by the marketing workflows (followup.QueueTouchEmails)
// and delivered by the email channel like every notification — the same
// outbox, claims, retries, dead-letter list and Message-ID rule. Its
// delivery id is derived from the touch id, so a touch is emailed at most
// once however often it is handed over; its target is the customer, its
// address the contact's. The text is the campaign's (the same for every
// recipient, stored once as a TouchContent); the follow-up service adds a
// footer with the customer's unsubscribe link, and the headers mail
// clients offer one-click unsubscribing with (RFC 8058).

// KindTouch is the kind of a touch email's delivery.
const KindTouch = "touch"

// Bounds of a touch email's parts (the marketing service's own are
// tighter; these keep a row within its columns).
const (
	maxTouchSubject = 200
	maxTouchBody    = 10000
	maxTouchURL     = 2048
	maxTouchName    = 200
	maxTouchID      = 64
)

// TouchContent is a campaign's email, stored once for all its touches.
type TouchContent struct {
	// ID is derived from the campaign and the text (TouchContentID).
	ID, CampaignID, CampaignName string
	Subject, Body                string
	// Language is en or zh-Hans: the footer's.
	Language string
}

// TouchEmail is one touch's email to one customer.
type TouchEmail struct {
	DeliveryID, TouchID, CustomerID string
	Step                            int
	Address, Name                   string
	UnsubscribeURL                  string
	ContentID                       string
	CreatedAt                       time.Time
	// NotBefore: the campaign's contact pressure deferred the touch until
	// then (nil: at once).
	NotBefore *time.Time
}

// TouchDeliveryID names the email delivery of a touch.
func TouchDeliveryID(touchID string) string {
	return uuid.NewSHA1(deliverySpace, []byte("touch\x00"+touchID)).String()
}

// TouchContentID names a campaign's email text.
func TouchContentID(campaignID, subject, body, language string) string {
	h := sha256.Sum256([]byte(campaignID + "\x00" + subject + "\x00" + body + "\x00" + language))
	return hex.EncodeToString(h[:16])
}

// NewTouchContent checks a campaign's email: a campaign id, a subject of
// one line and a body, within bounds (validation_failed otherwise).
func NewTouchContent(campaignID, campaignName, subject, body, language string) (TouchContent, error) {
	var v apperr.Validation
	v.Check(campaignID != "" && len(campaignID) <= 36, "content.campaign_id", "invalid", "the campaign's id")
	v.Check(strings.TrimSpace(subject) != "" && utf8.RuneCountInString(subject) <= maxTouchSubject && !strings.ContainsAny(subject, "\r\n") &&
		utf8.ValidString(subject), "content.subject", "invalid", "one line of 1 to 200 characters")
	v.Check(strings.TrimSpace(body) != "" && utf8.RuneCountInString(body) <= maxTouchBody && utf8.ValidString(body) && !strings.ContainsRune(body, 0),
		"content.body", "invalid", "text of 1 to 10,000 characters")
	if language != "zh-Hans" {
		language = "en"
	}
	if err := v.Err(); err != nil {
		return TouchContent{}, err
	}
	name := campaignName
	if utf8.RuneCountInString(name) > maxTouchName || !utf8.ValidString(name) {
		name = ""
	}
	return TouchContent{ID: TouchContentID(campaignID, subject, body, language), CampaignID: campaignID, CampaignName: name,
		Subject: subject, Body: body, Language: language}, nil
}

// NewTouchEmail checks one touch's email (fields reported under prefix):
// a touch id, a customer id, an address an SMTP relay takes, a display
// name of one line, and an absolute http(s) unsubscribe link.
func NewTouchEmail(prefix, touchID, customerID string, step int, address, name, unsubscribeURL string, content TouchContent, now time.Time) (TouchEmail, error) {
	var v apperr.Validation
	v.Check(touchID != "" && len(touchID) <= maxTouchID, prefix+"touch_id", "invalid", "the touch's id")
	_, err := uuid.Parse(customerID)
	v.Check(err == nil, prefix+"customer_id", "invalid", "the customer's id")
	a, err := netmail.ParseAddress(address)
	v.Check(err == nil && a.Address == address && len(address) <= 254, prefix+"address", "invalid", "an email address")
	v.Check(utf8.RuneCountInString(name) <= maxTouchName && utf8.ValidString(name) && !strings.ContainsAny(name, "\r\n"), prefix+"name", "invalid", "one line")
	u, err := url.Parse(unsubscribeURL)
	v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(unsubscribeURL) <= maxTouchURL,
		prefix+"unsubscribe_url", "invalid", "an absolute http(s) link")
	v.Check(step >= 0, prefix+"step", "invalid", "0 or more")
	if err := v.Err(); err != nil {
		return TouchEmail{}, err
	}
	return TouchEmail{DeliveryID: TouchDeliveryID(touchID), TouchID: touchID, CustomerID: customerID, Step: step, Address: address,
		Name: name, UnsubscribeURL: unsubscribeURL, ContentID: content.ID, CreatedAt: now}, nil
}

// Delivery is the email delivery of e: pending, to be sent at once by
// whichever replica claims it first — or, deferred by contact pressure,
// held until NotBefore, when its Delivery workflow sends it. A touch email
// has no quiet hours (the recipient is a customer, not a person with
// preferences here) and no follow-up (nothing closes it).
func (e TouchEmail) Delivery(c TouchContent) Delivery {
	d := Delivery{ID: e.DeliveryID, Channel: ChannelEmail, Kind: KindTouch, Target: e.CustomerID, Address: e.Address,
		Language: c.Language, TimeZone: "UTC", Status: DeliveryPending, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt}
	if e.NotBefore != nil && e.NotBefore.After(e.CreatedAt) {
		nb := e.NotBefore.UTC()
		d.Status, d.Reason, d.NotBefore = DeliveryHeld, ReasonContactPressure, &nb
	}
	return d
}
