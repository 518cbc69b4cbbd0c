package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/policy"
)

// OpenRequest is a follow-up a person asks to open on a customer.
type OpenRequest struct {
	Kind, CustomerID, Title string
	OwnerID                 string     // "" = the customer's owner
	PolicyKey               string     // table policies: "" = derived (care: the customer's ABC class)
	DueAt                   *time.Time // nil = computed by the kind's deadline policy
	IdempotencyKey          string
}

// Check validates the request at now — a known kind, a customer, the
// lengths, a due time in the future and at most two years ahead — and
// returns its kind.
func (r OpenRequest) Check(now time.Time) (policy.Kind, error) {
	var v apperr.Validation
	kind, ok := policy.LookupKind(r.Kind)
	if v.Check(r.Kind != "", "kind", "required", "the kind of obligation, such as callback or first_contact") && !ok {
		names := []string{}
		for _, k := range policy.Kinds() {
			if !k.WithoutCustomer {
				names = append(names, k.Name)
			}
		}
		v.Add("kind", "invalid", "unknown kind; use one of "+strings.Join(names, ", "))
	} else if ok && kind.WithoutCustomer {
		v.Add("kind", "not_allowed", "a "+kind.Name+" follow-up is opened by its own workflow (a notice's, at its deadline), not by people")
	}
	v.Check(r.CustomerID != "", "customer_id", "required", "the customer the follow-up is about")
	v.Check(len([]rune(r.Title)) <= MaxTitle, "title", "too_long", "at most 300 characters")
	v.Check(len(r.OwnerID) <= 200, "owner_id", "too_long", "at most 200 characters")
	v.Check(len(r.IdempotencyKey) <= 200, "Idempotency-Key", "too_long", "at most 200 characters")
	if r.DueAt != nil {
		v.Check(r.DueAt.After(now), "due_at", "in_the_past", "a due time must be in the future")
		v.Check(r.DueAt.Before(now.AddDate(2, 0, 0)), "due_at", "out_of_range", "at most two years ahead")
	}
	return kind, v.Err()
}

// PolicyKeyFor returns the key of the kind's deadline table the follow-up is
// timed by: a table needs one of its keys — for a care contact, the
// customer's value class unless one is given — and any other policy none
// (""). With a due time given, the request's key is kept as it is.
func (r OpenRequest) PolicyKeyFor(kind policy.Kind, valueClass string) (string, error) {
	if r.DueAt != nil {
		return r.PolicyKey, nil
	}
	var v apperr.Validation
	key := r.PolicyKey
	if d, _ := policy.Lookup(kind.Deadline); d.Shape == policy.ShapeTable {
		if key == "" && kind.Name == policy.KindCareContact {
			key = valueClass
		}
		if !slices.Contains(d.Keys, key) {
			v.Add("policy_key", "invalid", fmt.Sprintf("%s needs a %s: one of %s", kind.Name, d.KeyMeaning, strings.Join(d.Keys, ", ")))
			return "", v.Err()
		}
		return key, nil
	}
	if key != "" {
		v.Add("policy_key", "not_allowed", kind.Deadline+" is not a table; leave policy_key out")
		return "", v.Err()
	}
	return key, nil
}

// FollowUpID is the id of a follow-up a person opens: the same for the same
// person and idempotency key, so a retried request opens one follow-up; new
// and time-ordered without a key.
func FollowUpID(subject, idempotencyKey string) string {
	if idempotencyKey == "" {
		return uuid.Must(uuid.NewV7()).String()
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/follow-up\x00"+subject+"\x00"+idempotencyKey)).String()
}
