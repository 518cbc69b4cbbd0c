package domain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/closeloop/closeloop/workflows/infoslip"
)

// Org is the organisation's departments: which teams make up sales, service
// and marketing. The tokens carry a person's teams, not a department; the
// department of a team is configuration (DEPARTMENTS), the same for every
// replica. Info slips are routed to departments, notices are addressed to
// them.
type Org struct {
	teams map[string][]string // department → its teams, in the order configured
}

// DefaultDepartments is the organisation of the development stack's users.
const DefaultDepartments = "sales=north,south;service=service,service-west;marketing=marketing"

// ParseOrg reads "dept=team,team;dept=team": each department one of
// infoslip.Departments, each team in at most one department, every
// department with at least one team.
func ParseOrg(s string) (Org, error) {
	o := Org{teams: map[string][]string{}}
	owner := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		dept, list, ok := strings.Cut(part, "=")
		dept = strings.TrimSpace(dept)
		if !ok || !slices.Contains(infoslip.Departments, dept) {
			return Org{}, fmt.Errorf("departments: %q: want department=team,team with the department one of %s", part, strings.Join(infoslip.Departments, ", "))
		}
		if _, dup := o.teams[dept]; dup {
			return Org{}, fmt.Errorf("departments: %s is named twice", dept)
		}
		for _, t := range strings.Split(list, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if d, taken := owner[t]; taken {
				return Org{}, fmt.Errorf("departments: team %s is in %s and %s: a team belongs to one department", t, d, dept)
			}
			owner[t] = dept
			o.teams[dept] = append(o.teams[dept], t)
		}
		if len(o.teams[dept]) == 0 {
			return Org{}, fmt.Errorf("departments: %s has no team", dept)
		}
	}
	if len(o.teams) == 0 {
		return Org{}, fmt.Errorf("departments: none configured")
	}
	return o, nil
}

// MustOrg is ParseOrg for values known to be good (tests, the default).
func MustOrg(s string) Org {
	o, err := ParseOrg(s)
	if err != nil {
		panic(err)
	}
	return o
}

// Has reports whether the department is configured.
func (o Org) Has(dept string) bool { _, ok := o.teams[dept]; return ok }

// Departments lists the configured departments, in infoslip.Departments order.
func (o Org) Departments() []string {
	var out []string
	for _, d := range infoslip.Departments {
		if o.Has(d) {
			out = append(out, d)
		}
	}
	return out
}

// TeamsOf lists a department's teams, the first being where its slips go
// when the sender names no team.
func (o Org) TeamsOf(dept string) []string { return slices.Clone(o.teams[dept]) }

// DepartmentOf is the department a team belongs to ("" none).
func (o Org) DepartmentOf(team string) string {
	for _, d := range infoslip.Departments {
		if slices.Contains(o.teams[d], team) {
			return d
		}
	}
	return ""
}

// DepartmentsOf lists the departments of these teams, each once, in the
// teams' order.
func (o Org) DepartmentsOf(teams []string) []string {
	var out []string
	for _, t := range teams {
		if d := o.DepartmentOf(t); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// String is the configuration form ParseOrg reads.
func (o Org) String() string {
	var parts []string
	for _, d := range o.Departments() {
		parts = append(parts, d+"="+strings.Join(o.teams[d], ","))
	}
	return strings.Join(parts, ";")
}
