package webhooks

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Hook is a subscription as the pages show it: its URL only elided.
type Hook struct {
	ID, Shown, Description string
	Language               string
	Kinds                  []string
	Enabled                bool
	DisabledReason         string
	DisabledAt             *time.Time
	Failures               int
	FailingSince           *time.Time
	SecretHint             string
	PreviousUntil          *time.Time
	CreatedBy              string
	CreatedAt              *time.Time
}

func hookOf(v followupapi.WebhookView) Hook {
	h := Hook{ID: view.Str(v.Id), Shown: Elide(view.Str(v.Url)), Description: view.Str(v.Description), Language: view.Str(v.Language),
		Enabled: v.Enabled != nil && *v.Enabled, DisabledReason: view.Str(v.DisabledReason), DisabledAt: v.DisabledAt,
		FailingSince: v.FailingSince, SecretHint: view.Str(v.SecretHint), PreviousUntil: v.PreviousSecretUntil,
		CreatedBy: view.Str(v.CreatedBy), CreatedAt: v.CreatedAt}
	if v.EventKinds != nil {
		h.Kinds = *v.EventKinds
	}
	if v.Failures != nil {
		h.Failures = *v.Failures
	}
	return h
}

// hookOfSecret is the subscription of an answer that carries its secret
// (the secret itself is kept apart, in Secret).
func hookOfSecret(v followupapi.WebhookSecretView) Hook {
	return hookOf(followupapi.WebhookView{Id: v.Id, Url: v.Url, Description: v.Description, Language: v.Language, EventKinds: v.EventKinds,
		Enabled: v.Enabled, DisabledReason: v.DisabledReason, DisabledAt: v.DisabledAt, Failures: v.Failures,
		FailingSince: v.FailingSince, SecretHint: v.SecretHint, PreviousSecretUntil: v.PreviousSecretUntil,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt})
}

// Form is the registration or edit form as typed. The secret a
// registration may carry is never shown again, so it is not kept here.
type Form struct {
	URL, Description string
	Language         string // en or zh-Hans
	Kinds            map[string]bool
}

func formOf(c *gin.Context) Form {
	f := Form{URL: strings.TrimSpace(c.PostForm("url")), Description: strings.TrimSpace(c.PostForm("description")),
		Language: c.DefaultPostForm("language", "en"), Kinds: map[string]bool{}}
	for _, k := range c.PostFormArray("kind") {
		if slices.Contains(Kinds, k) {
			f.Kinds[k] = true
		}
	}
	return f
}

// KindList is the kinds ticked, in the forms' order (empty, not nil: the
// service names a subscription without kinds).
func (f Form) KindList() []string {
	out := []string{}
	for _, k := range Kinds {
		if f.Kinds[k] {
			out = append(out, k)
		}
	}
	return out
}

// problemOf is the service's refusal in the user's language: the page's
// catalogue words each field error it knows by field and code
// ("webhooks.field.url.not_https"), else by code; others keep the
// service's message.
func problemOf(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	var e *apperr.Error
	if !errors.As(err, &e) {
		return p
	}
	for _, f := range e.Fields {
		for _, id := range []string{"webhooks.field." + f.Field + "." + f.Code, "webhooks.field." + f.Code} {
			if m := x.T(id); m != id {
				p.Fields[f.Field] = m
				break
			}
		}
	}
	if len(e.Fields) > 0 {
		p.Message = x.T("webhooks.refused")
	}
	return p
}

// page is what the webhooks pages' data share: the request's view and
// the words and addresses their templates ask for.
type page struct {
	*view.Ctx
}

// Toggle is the action that switches a subscription the other way.
func (page) Toggle(enabled bool) string {
	if enabled {
		return "disable"
	}
	return "enable"
}

// The reasons the service gives for a switched-off subscription
// (domain.Subscription): an administrator's, or too many failures in a row.
var (
	byAdmin    = regexp.MustCompile(`^disabled by (\S+)$`)
	byFailures = regexp.MustCompile(`^disabled after (\d+) consecutive failed deliveries since (\S+); last: (.*)$`)
)

// Why is why a subscription is off, in the user's language when the
// service's reason has one of its known shapes, else as it says it.
func (p page) Why(reason string) string {
	if m := byAdmin.FindStringSubmatch(reason); m != nil {
		return p.T("webhooks.why.admin", "Name", m[1])
	}
	if m := byFailures.FindStringSubmatch(reason); m != nil {
		n, _ := strconv.Atoi(m[1])
		since := m[2]
		if t, err := time.Parse(time.RFC3339, m[2]); err == nil {
			since = p.DateTime(t)
		}
		return p.T("webhooks.why.failures", "Count", n, "Time", since, "Error", m[3])
	}
	return reason
}
