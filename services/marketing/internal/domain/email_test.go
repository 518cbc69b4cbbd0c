package domain_test

import (
	"testing"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// TestDecideEmail: an opted-out customer gets nothing; any other email
// touch is emailed, or falls back to a plan for the owner naming the first
// thing missing — the campaign's email, the setup, the address.
func TestDecideEmail(t *testing.T) {
	withEmail := domain.Campaign{Channels: []string{domain.ChannelEmail}, EmailSubject: "s", EmailBody: "b"}
	noChannel := domain.Campaign{Channels: []string{domain.ChannelPhoneCall}, EmailSubject: "s", EmailBody: "b"}
	noText := domain.Campaign{Channels: []string{domain.ChannelPhoneCall, domain.ChannelEmail}}
	cases := []struct {
		name                     string
		c                        domain.Campaign
		optedOut, ready, address bool
		drop                     bool
		fallback                 string
	}{
		{"emailed", withEmail, false, true, true, false, ""},
		{"opted out: nothing at all", withEmail, true, true, true, true, ""},
		{"opted out, no address either: still nothing", withEmail, true, true, false, true, ""},
		{"no address", withEmail, false, true, false, false, domain.FallbackNoAddress},
		{"not set up", withEmail, false, false, true, false, domain.FallbackEmailOff},
		{"not set up and no address: the setup first", withEmail, false, false, false, false, domain.FallbackEmailOff},
		{"a campaign without the email channel", noChannel, false, true, true, false, domain.FallbackNoEmail},
		{"a campaign without email text", noText, false, true, true, false, domain.FallbackNoEmail},
	}
	for _, tc := range cases {
		d := domain.DecideEmail(tc.c, tc.optedOut, tc.ready, tc.address)
		if d.Drop != tc.drop || d.Fallback != tc.fallback || d.Send() != (!tc.drop && tc.fallback == "") {
			t.Errorf("%s: %+v (send %v), want drop %v fallback %q", tc.name, d, d.Send(), tc.drop, tc.fallback)
		}
	}
}

func TestEmailLanguage(t *testing.T) {
	for _, tc := range []struct{ subject, body, want string }{
		{"Spring offer", "Dear customer, …", "en"},
		{"春季优惠", "Dear customer", "zh-Hans"},
		{"Spring offer", "尊敬的客户：", "zh-Hans"},
		{"Ünïcödé", "Ça va ?", "en"},
	} {
		if got := domain.EmailLanguage(tc.subject, tc.body); got != tc.want {
			t.Errorf("%q/%q: %s, want %s", tc.subject, tc.body, got, tc.want)
		}
	}
}

// TestSendsEmail: the email text is needed where a touch sends it — a
// one-touch campaign's first channel, any channel of a win-back campaign
// (its cadence's email steps) — and nowhere else.
func TestSendsEmail(t *testing.T) {
	for _, tc := range []struct {
		typ      domain.Type
		channels []string
		want     bool
	}{
		{domain.TypeMailing, []string{"email"}, true},
		{domain.TypeCrossSell, []string{"email", "phone_call"}, true},
		{domain.TypeCrossSell, []string{"phone_call", "email"}, false},
		{domain.TypeEvent, []string{"event"}, false},
		{domain.TypeWinback, []string{"phone_call", "email"}, true},
		{domain.TypeWinback, []string{"phone_call"}, false},
		{domain.TypeOther, nil, false},
	} {
		if got := domain.SendsEmail(tc.typ, tc.channels); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.typ, tc.channels, got, tc.want)
		}
	}
}
