package domain_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

func TestParseOrg(t *testing.T) {
	o, err := domain.ParseOrg(" service=service, service-west ; sales=north,south;marketing=marketing ")
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Departments(); !slices.Equal(got, []string{"sales", "service", "marketing"}) {
		t.Errorf("departments %v", got)
	}
	if got := o.TeamsOf("service"); !slices.Equal(got, []string{"service", "service-west"}) {
		t.Errorf("service teams %v", got)
	}
	if o.DepartmentOf("south") != "sales" || o.DepartmentOf("nowhere") != "" {
		t.Errorf("department of south %q, of nowhere %q", o.DepartmentOf("south"), o.DepartmentOf("nowhere"))
	}
	if got := o.DepartmentsOf([]string{"south", "nowhere", "north", "marketing"}); !slices.Equal(got, []string{"sales", "marketing"}) {
		t.Errorf("departments of the teams %v", got)
	}
	if again, err := domain.ParseOrg(o.String()); err != nil || again.String() != o.String() {
		t.Errorf("round trip %q → %q, %v", o.String(), again.String(), err)
	}
	// Only marketing: the others are not configured.
	if one := domain.MustOrg("marketing=brand"); one.Has("sales") || !one.Has("marketing") {
		t.Errorf("one department: %v", one.Departments())
	}
	for _, bad := range []struct{ in, want string }{
		{"", "none configured"},
		{"finance=ledger", "department=team"},
		{"sales", "department=team"},
		{"sales=", "has no team"},
		{"sales=north;sales=south", "named twice"},
		{"sales=north;service=north", "one department"},
	} {
		if _, err := domain.ParseOrg(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseOrg(%q) = %v, want an error saying %q", bad.in, err, bad.want)
		}
	}
}
