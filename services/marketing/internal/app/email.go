package app

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// Email touches and the unsubscribe links they carry (domain/email.go,
// domain/unsubscribe.go).

// EmailLinks sign the unsubscribe links of campaign emails: a link is
// BaseURL + "/unsubscribe/" + token. Without a BaseURL links are checked
// (those sent before still work) but no email touch is sent.
type EmailLinks struct {
	Signer  domain.UnsubscribeSigner
	BaseURL string
}

// url is the link of a token.
func (l EmailLinks) url(token string) string {
	return strings.TrimRight(l.BaseURL, "/") + "/unsubscribe/" + url.PathEscape(token)
}

// UseEmail sets email touches up: without it (no key) every email touch
// falls back to an action plan, and no link is honoured.
func (a *App) UseEmail(l EmailLinks) { a.links = &l }

// MaxEmailTouches bounds the touches of one EmailTouches call (a segment
// page's).
const MaxEmailTouches = 1000

// EmailTouches writes the email of each email touch of one campaign (the
// marketing.EmailTouches activity): the campaign's subject and body, the
// customer's address and a signed unsubscribe link; a touch the contact
// pressure deferred (planned later than now) is sent no earlier than that. An opted-out customer's
// touch is dropped; a touch that cannot be emailed (the campaign has no
// email, email touches are not set up, the customer has no address) falls
// back to an action plan, with the reason (domain.DecideEmail). It records
// nothing: the workflow records the touches once they are sent or planned.
func (a *App) EmailTouches(ctx context.Context, in *marketingv1.EmailTouchesInput) (*marketingv1.EmailTouchesResult, error) {
	touches := in.GetTouches()
	out := &marketingv1.EmailTouchesResult{}
	if len(touches) == 0 {
		return out, nil
	}
	var v apperr.Validation
	v.Check(len(touches) <= MaxEmailTouches, "touches", "too_many", "at most 1000")
	ids := make([]string, 0, len(touches))
	for i, t := range touches {
		v.Check(t.GetCampaignId() == touches[0].GetCampaignId(), "touches["+strconv.Itoa(i)+"].campaign_id", "invalid", "the touches of one campaign")
		ids = append(ids, t.GetCustomerId())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c, err := a.store.Campaign(ctx, touches[0].GetCampaignId())
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	optOuts, err := a.store.OptOuts(ctx, ids)
	if err != nil {
		return nil, err
	}
	addresses := map[string]*marketingv1.ContactAddress{}
	for _, ad := range in.GetAddresses() {
		if ad.GetAddress() != "" {
			addresses[ad.GetCustomerId()] = ad
		}
	}
	now := a.now()
	for _, t := range touches {
		_, optedOut := optOuts[t.GetCustomerId()]
		to, hasAddress := addresses[t.GetCustomerId()]
		d := domain.DecideEmail(c.Campaign, optedOut, a.links != nil && a.links.BaseURL != "", hasAddress)
		switch {
		case d.Drop:
			out.OptedOut = append(out.OptedOut, t.GetTouchId())
			continue
		case !d.Send():
			out.Fallbacks = append(out.Fallbacks, &marketingv1.EmailFallback{TouchId: t.GetTouchId(), Reason: d.Fallback})
			continue
		}
		token, err := a.links.Signer.Sign(t.GetCustomerId(), c.ID, now)
		if err != nil {
			return nil, apperr.Invalid("invalid", err.Error())
		}
		e := &marketingv1.TouchEmail{TouchId: t.GetTouchId(), CustomerId: t.GetCustomerId(), Step: t.GetStep(),
			Address: to.GetAddress(), Name: to.GetName(), UnsubscribeUrl: a.links.url(token)}
		if p := t.GetPlannedAt(); p != nil && p.AsTime().After(now) {
			e.NotBefore = p // the contact pressure deferred it: the outbox holds it until then
		}
		out.Emails = append(out.Emails, e)
	}
	if len(out.Emails) > 0 {
		out.Content = &marketingv1.EmailContent{CampaignId: c.ID, CampaignName: c.Name, Subject: c.EmailSubject, Body: c.EmailBody,
			Language: domain.EmailLanguage(c.EmailSubject, c.EmailBody)}
	}
	return out, nil
}

// ErrUnsubscribeOff answers an unsubscribe link when links are not set up
// (no UNSUBSCRIBE_KEY): none is honoured, and none is sent.
var ErrUnsubscribeOff = apperr.Unavailable("unsubscribe_unavailable", "unsubscribe links are not set up on this server; reply to the email or contact us to stop our marketing")

// UnsubscribeView is what an unsubscribe link shows: whether the customer
// it names is opted out of marketing, since when, and until when the link
// works. It names no customer: the link is all a reader has.
type UnsubscribeView struct {
	// OptedOut: no campaign touches the customer.
	OptedOut bool `json:"opted_out"`
	// At: when the customer opted out.
	At *time.Time `json:"at,omitempty"`
	// ExpiresAt: the link works until then.
	ExpiresAt time.Time `json:"expires_at"`
}

// checkLink reads an unsubscribe link's token.
func (a *App) checkLink(token string) (domain.Unsubscribe, error) {
	if a.links == nil {
		return domain.Unsubscribe{}, ErrUnsubscribeOff
	}
	return a.links.Signer.Check(token, a.now())
}

// OpenUnsubscribe reads an unsubscribe link without changing anything (the
// page's GET: a mail scanner that follows links opts nobody out).
// ErrUnsubscribeInvalid and ErrUnsubscribeExpired refuse a link the service
// did not sign, or whose time has passed.
func (a *App) OpenUnsubscribe(ctx context.Context, token string) (UnsubscribeView, error) {
	u, err := a.checkLink(token)
	if err != nil {
		return UnsubscribeView{}, err
	}
	opt, err := a.store.OptOuts(ctx, []string{u.CustomerID})
	if err != nil {
		return UnsubscribeView{}, err
	}
	v := UnsubscribeView{ExpiresAt: u.ExpiresAt}
	if o, ok := opt[u.CustomerID]; ok {
		at := o.CreatedAt.UTC()
		v.OptedOut, v.At = true, &at
	}
	return v, nil
}

// LinkOptOutBy is who an opt-out made through an unsubscribe link is
// recorded as made by.
const LinkOptOutBy = "customer (unsubscribe link)"

// Unsubscribe opts out the customer an unsubscribe link names, by the rule
// of every opt-out (OptOut: no campaign touches them again, a running
// win-back cadence stops at once); a customer opted out already stays as
// first recorded. The link's refusals are OpenUnsubscribe's, and change
// nothing.
func (a *App) Unsubscribe(ctx context.Context, token string) (UnsubscribeView, error) {
	u, err := a.checkLink(token)
	if err != nil {
		return UnsubscribeView{}, err
	}
	reason := "unsubscribed with the link of a campaign email"
	if c, err := a.store.Campaign(ctx, u.CampaignID); err == nil {
		reason += " (" + c.Name + ")"
	}
	o, err := a.optOut(ctx, u.CustomerID, reason, LinkOptOutBy)
	if err != nil {
		return UnsubscribeView{}, err
	}
	at := o.CreatedAt.UTC()
	return UnsubscribeView{OptedOut: true, At: &at, ExpiresAt: u.ExpiresAt}, nil
}

// optOut records a customer's opt-out (kept as first recorded) and stops
// their running win-back cadence: the rule of OptOut and Unsubscribe.
func (a *App) optOut(ctx context.Context, customerID, reason, by string) (adapters.OptOut, error) {
	now := a.now()
	o, err := a.store.AddOptOut(ctx, adapters.OptOut{CustomerID: customerID, Reason: reason, CreatedBy: by, CreatedAt: now})
	if err != nil {
		return adapters.OptOut{}, err
	}
	active, err := a.store.Active(ctx, []string{customerID})
	if err != nil {
		return adapters.OptOut{}, err
	}
	if r, ok := active[customerID]; ok && r.Type == string(domain.TypeWinback) {
		if err := a.wf.Respond(ctx, customerID, r.CampaignID, &marketingv1.WinBackResponse{Kind: "opt_out", At: timestamppb.New(now), By: by}); err != nil {
			// The opt-out is stored: the cadence's next touch is refused.
			a.log.WarnContext(ctx, "telling a win-back of an opt-out", "customer", customerID, "campaign", r.CampaignID, "error", err)
		}
	}
	return o, nil
}
