package domain

import (
	"slices"
	"unicode"
)

// Email touches. A touch whose action is ActionEmail (a one-touch campaign
// whose first channel is email, a win-back step "email") is not a plan for
// a person: the campaign's email (EmailSubject, EmailBody) goes to the
// customer's contact address through the follow-up service's mail
// delivery, with a signed link that opts the customer out (unsubscribe.go).
// A touch that cannot be emailed is not dropped silently: it falls back to
// the action plan the owner would have had for an email before there was
// a channel ("send the offer"), titled with the reason. Only an opted-out
// customer gets nothing.

// MaxEmailSubject and MaxEmailBody bound a campaign's email (characters):
// a subject line, and a body a person reads in one sitting — one that fits,
// once, in every page of email touches a workflow hands on.
const (
	MaxEmailSubject = 200
	MaxEmailBody    = 10000
)

// Why an email touch falls back to an action plan for the owner.
const (
	// FallbackNoAddress: the customer has no contact with a usable email
	// address.
	FallbackNoAddress = "no_address"
	// FallbackNoEmail: the campaign has no email to send (a win-back step
	// "email" in a campaign without the email channel and its text).
	FallbackNoEmail = "no_email"
	// FallbackEmailOff: email touches are not set up — no unsubscribe key
	// or public URL in the marketing service, or no SMTP relay in the
	// follow-up service.
	FallbackEmailOff = "email_off"
)

// EmailDecision is what becomes of one email touch.
type EmailDecision struct {
	// Drop: the customer opted out; no email and no plan.
	Drop bool
	// Fallback, when not empty, is why the touch becomes an action plan
	// for the owner instead of an email.
	Fallback string
}

// Send says whether the touch is emailed.
func (d EmailDecision) Send() bool { return !d.Drop && d.Fallback == "" }

// SendsEmail says whether a campaign of type t through channels emails its
// customers, and so needs its email text: a one-touch campaign whose first
// channel (its touch) is email; a win-back campaign with the email channel
// (its cadence's email steps send it). A one-touch campaign naming email
// after its first channel emails nobody.
func SendsEmail(t Type, channels []string) bool {
	if t == TypeWinback {
		return slices.Contains(channels, ChannelEmail)
	}
	return len(channels) > 0 && channels[0] == ChannelEmail
}

// HasEmail says whether the campaign has an email to send: the email
// channel with its subject and body.
func (c Campaign) HasEmail() bool {
	return slices.Contains(c.Channels, ChannelEmail) && c.EmailSubject != "" && c.EmailBody != ""
}

// DecideEmail decides one email touch of campaign c: an opted-out customer
// is dropped (an opt-out stops every touch); otherwise the touch is emailed
// when the campaign has an email, email touches are set up (ready) and
// the customer has an address, and falls back to a plan for the first of
// those that is missing.
func DecideEmail(c Campaign, optedOut, ready, hasAddress bool) EmailDecision {
	switch {
	case optedOut:
		return EmailDecision{Drop: true}
	case !c.HasEmail():
		return EmailDecision{Fallback: FallbackNoEmail}
	case !ready:
		return EmailDecision{Fallback: FallbackEmailOff}
	case !hasAddress:
		return EmailDecision{Fallback: FallbackNoAddress}
	}
	return EmailDecision{}
}

// Languages of an email's footer (the unsubscribe line the follow-up
// service adds).
const (
	LanguageEnglish = "en"
	LanguageChinese = "zh-Hans"
)

// EmailLanguage is the language the footer of the campaign's email is
// written in: Simplified Chinese when the subject or body has Chinese
// characters, else English — the footer reads in the language of the text
// above it without a setting of its own.
func EmailLanguage(subject, body string) string {
	for _, s := range []string{subject, body} {
		for _, r := range s {
			if unicode.Is(unicode.Han, r) {
				return LanguageChinese
			}
		}
	}
	return LanguageEnglish
}
