package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// TestPeopleQuery: a team is required and matched by its exact name, a role
// must be known, and disabled people are listed only when asked for.
func TestPeopleQuery(t *testing.T) {
	for _, tc := range []struct {
		q       PeopleQuery
		refused []string
	}{
		{PeopleQuery{Team: "north"}, nil},
		{PeopleQuery{Team: "north", Role: "manager", IncludeDisabled: true, After: "rep-ana"}, nil},
		{PeopleQuery{}, []string{"team:required"}},
		{PeopleQuery{Role: "manager"}, []string{"team:required"}},
		{PeopleQuery{Team: "a,b", Role: "king"}, []string{"team:invalid", "role:invalid"}},
		{PeopleQuery{Team: strings.Repeat("t", 101)}, []string{"team:invalid"}},
		{PeopleQuery{Team: "north", After: strings.Repeat("x", 201)}, []string{"cursor:invalid"}},
	} {
		var got []string
		var ae *apperr.Error
		if err := tc.q.Validate(); errors.As(err, &ae) {
			for _, f := range ae.Fields {
				got = append(got, f.Field+":"+f.Code)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.refused) {
			t.Errorf("%+v: refused %v, want %v", tc.q, got, tc.refused)
		}
	}

	mia := User{ID: "mgr-mia", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north", "key-accounts"}}
	gone := User{ID: "rep-cy", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}, Disabled: true}
	for _, tc := range []struct {
		q    PeopleQuery
		u    User
		want bool
	}{
		{PeopleQuery{Team: "key-accounts"}, mia, true},
		{PeopleQuery{Team: "north", Role: "manager"}, mia, true},
		{PeopleQuery{Team: "north", Role: "rep"}, mia, false},
		{PeopleQuery{Team: "North"}, mia, false},
		{PeopleQuery{Team: "nort"}, mia, false},
		{PeopleQuery{Team: "north"}, gone, false},
		{PeopleQuery{Team: "north", Role: "rep", IncludeDisabled: true}, gone, true},
	} {
		if got := tc.q.Lists(tc.u); got != tc.want {
			t.Errorf("%+v lists %s: %v", tc.q, tc.u.ID, got)
		}
	}
	if KnownPersonID("") || KnownPersonID(strings.Repeat("x", 201)) || !KnownPersonID("rep-ana") {
		t.Error("a person's id is a token's sub of 1 to 200 characters")
	}
}
