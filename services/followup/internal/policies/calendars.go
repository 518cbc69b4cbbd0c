package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// DefaultCalendar is the calendar seeded as the default on a fresh database.
const DefaultCalendar = "standard"

type calendarRow struct {
	Name      string
	Version   int64
	Spec      string
	CreatedBy string
	CreatedAt time.Time
	Reason    string
}

func (calendarRow) TableName() string { return "calendar_versions" }

type assignmentRow struct {
	Scope    string // "region", "team" or "default"
	Value    string
	Calendar string
}

func (assignmentRow) TableName() string { return "calendar_assignments" }

// CalendarView is a business calendar as the API shows it.
type CalendarView struct {
	Name        string                `json:"name"`
	Version     int64                 `json:"version"`
	TimeZone    string                `json:"time_zone"`
	Week        calendar.Week         `json:"week"`
	Holidays    []calendar.Holiday    `json:"holidays"`
	WorkingDays []calendar.WorkingDay `json:"working_days"`
	Regions     []string              `json:"regions"`
	Teams       []string              `json:"teams"`
	Default     bool                  `json:"default"`
	UpdatedBy   string                `json:"updated_by"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Reason      string                `json:"reason"`
}

// CalendarInput is a new version of a calendar with its assignments.
type CalendarInput struct {
	TimeZone    string                `json:"time_zone"`
	Week        calendar.Week         `json:"week"`
	Holidays    []calendar.Holiday    `json:"holidays"`
	WorkingDays []calendar.WorkingDay `json:"working_days"`
	Regions     []string              `json:"regions"`
	Teams       []string              `json:"teams"`
	Default     bool                  `json:"default"`
	Reason      string                `json:"reason"`
}

var calendarName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

func (s *Service) seedCalendar(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&calendarRow{}).Count(&n).Error; err != nil {
			return err
		}
		country := s.country
		if country == "" {
			country = CountryPlain
		}
		if n > 0 {
			if s.country != "" && s.country != CountryPlain && s.log != nil {
				s.log.Info("calendars exist already: DEFAULT_CALENDAR_COUNTRY only seeds a fresh database", "country", s.country)
			}
			return nil
		}
		seeds := presetSeeds(country)
		for _, sd := range seeds {
			sd.spec.Name = sd.name
			raw, _ := json.Marshal(specJSON(sd.spec))
			// Replicas starting together may both see no calendar: the
			// first insert wins, the others change nothing.
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&calendarRow{Name: sd.name, Version: 1, Spec: string(raw), CreatedBy: "system", CreatedAt: s.now(), Reason: "shipped default (DEFAULT_CALENDAR_COUNTRY=" + country + ")"})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			if sd.def {
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&assignmentRow{Scope: "default", Value: "", Calendar: sd.name}).Error; err != nil {
					return err
				}
			}
			if err := writeAudit(ctx, tx, "calendar", sd.name, 1, "seeded", "system", "shipped default (DEFAULT_CALENDAR_COUNTRY="+country+")", nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// specJSON is the stored form of a calendar: the spec without its name (the
// name is the key).
type storedSpec struct {
	Name        string                `json:"name"`
	TimeZone    string                `json:"time_zone"`
	Week        calendar.Week         `json:"week"`
	Holidays    []calendar.Holiday    `json:"holidays,omitempty"`
	WorkingDays []calendar.WorkingDay `json:"working_days,omitempty"`
}

func specJSON(s calendar.Spec) storedSpec {
	return storedSpec{Name: s.Name, TimeZone: s.TimeZone, Week: s.Week, Holidays: s.Holidays, WorkingDays: s.WorkingDays}
}

// current returns the latest version of every calendar, by name.
func (s *Service) current(ctx context.Context, tx *gorm.DB) (map[string]calendarRow, error) {
	var rows []calendarRow
	err := tx.WithContext(ctx).Where("version = (SELECT MAX(v.version) FROM calendar_versions v WHERE v.name = calendar_versions.name)").Find(&rows).Error
	out := make(map[string]calendarRow, len(rows))
	for _, r := range rows {
		out[r.Name] = r
	}
	return out, err
}

func (s *Service) calendarNames(ctx context.Context) (map[string]bool, error) {
	var names []string
	if err := s.db.WithContext(ctx).Model(&calendarRow{}).Distinct("name").Pluck("name", &names).Error; err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

func (s *Service) assignments(ctx context.Context, tx *gorm.DB) ([]assignmentRow, error) {
	var rows []assignmentRow
	err := tx.WithContext(ctx).Order("scope, value").Find(&rows).Error
	return rows, err
}

func calendarView(r calendarRow, as []assignmentRow) CalendarView {
	var sp storedSpec
	_ = json.Unmarshal([]byte(r.Spec), &sp)
	v := CalendarView{Name: r.Name, Version: r.Version, TimeZone: sp.TimeZone, Week: sp.Week, Holidays: sp.Holidays, WorkingDays: sp.WorkingDays,
		Regions: []string{}, Teams: []string{}, UpdatedBy: r.CreatedBy, UpdatedAt: r.CreatedAt, Reason: r.Reason}
	if v.Holidays == nil {
		v.Holidays = []calendar.Holiday{}
	}
	if v.WorkingDays == nil {
		v.WorkingDays = []calendar.WorkingDay{}
	}
	for _, a := range as {
		if a.Calendar != r.Name {
			continue
		}
		switch a.Scope {
		case "region":
			v.Regions = append(v.Regions, a.Value)
		case "team":
			v.Teams = append(v.Teams, a.Value)
		case "default":
			v.Default = true
		}
	}
	return v
}

// Calendars lists every business calendar with its assignments.
func (s *Service) Calendars(ctx context.Context) ([]CalendarView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	cur, err := s.current(ctx, s.db)
	if err != nil {
		return nil, err
	}
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(cur))
	for n := range cur {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]CalendarView, 0, len(names))
	for _, n := range names {
		out = append(out, calendarView(cur[n], as))
	}
	return out, nil
}

// Calendar returns one calendar.
func (s *Service) Calendar(ctx context.Context, name string) (CalendarView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return CalendarView{}, err
	}
	return s.calendar(ctx, name)
}

func (s *Service) calendar(ctx context.Context, name string) (CalendarView, error) {
	var r calendarRow
	err := s.db.WithContext(ctx).Where("name = ?", name).Order("version DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return CalendarView{}, apperr.NotFound("calendar_not_found", fmt.Sprintf("no calendar is named %q", name))
	}
	if err != nil {
		return CalendarView{}, err
	}
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return CalendarView{}, err
	}
	return calendarView(r, as), nil
}

func buildCalendar(name string, sp storedSpec) (*calendar.Calendar, error) {
	spec := calendar.Spec{Name: name, TimeZone: sp.TimeZone, Week: sp.Week, Holidays: sp.Holidays, WorkingDays: sp.WorkingDays}
	if sp.TimeZone != "" && sp.TimeZone != "Local" {
		loc, err := policy.Location(sp.TimeZone)
		if err != nil {
			var v apperr.Validation
			v.Add("time_zone", calendar.CodeInvalid, fmt.Sprintf("%q is not an IANA time zone, such as Asia/Shanghai", sp.TimeZone))
			return nil, v.Err()
		}
		spec.Location = loc
	}
	cal, err := calendar.New(spec)
	var ve *calendar.ValidationError
	if errors.As(err, &ve) {
		var v apperr.Validation
		for _, f := range ve.Fields {
			if f.Field == "location" { // reported under time_zone
				continue
			}
			v.Add(f.Field, f.Code, f.Message)
		}
		if v.Empty() {
			v.Add("time_zone", calendar.CodeInvalid, "name an IANA time zone, such as Asia/Shanghai")
		}
		return nil, v.Err()
	}
	return cal, err
}

// PutCalendar stores a new version of a calendar (creating it if new) and
// replaces its assignments. Running workflows that count business time in it
// — or whose team or region it now covers or no longer covers — re-compute.
func (s *Service) PutCalendar(ctx context.Context, name string, in CalendarInput) (CalendarView, error) {
	pr, err := auth.Authorize(ctx, auth.PermPoliciesWrite)
	if err != nil {
		return CalendarView{}, err
	}
	var v apperr.Validation
	if v.Check(calendarName.MatchString(name), "name", "invalid", "a calendar name is 1–100 lower-case letters, digits, '.', '_' or '-'") {
		v.Check(name != "assigned", "name", "reserved", "\"assigned\" names the look-up GET /v1/calendars/assigned; pick another name")
	}
	v.Check(strings.TrimSpace(in.Reason) != "", "reason", "required", "say why the calendar changes; it is kept in the audit trail")
	v.Check(len(in.Reason) <= 2000, "reason", "too_long", "at most 2000 characters")
	for field, list := range map[string][]string{"regions": in.Regions, "teams": in.Teams} {
		seen := map[string]bool{}
		for i, x := range list {
			p := fmt.Sprintf("%s[%d]", field, i)
			if v.Check(strings.TrimSpace(x) != "" && len(x) <= 100, p, "invalid", "1–100 characters") {
				v.Check(!seen[x], p, "duplicate", fmt.Sprintf("%q is listed twice", x))
			}
			seen[x] = true
		}
	}
	sp := storedSpec{Name: name, TimeZone: in.TimeZone, Week: in.Week, Holidays: in.Holidays, WorkingDays: in.WorkingDays}
	if _, err := buildCalendar(name, sp); err != nil {
		return CalendarView{}, mergeValidation(err, v.Err())
	}
	if err := v.Err(); err != nil {
		return CalendarView{}, err
	}
	raw, _ := json.Marshal(sp)
	var version int64
	var touched []assignmentRow // assignments added or removed, for the rollout
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := s.current(ctx, tx)
		if err != nil {
			return err
		}
		as, err := s.assignments(ctx, tx)
		if err != nil {
			return err
		}
		old, exists := cur[name]
		var conflicts apperr.Validation
		mine := map[string]bool{}
		wasDefault := false
		for _, a := range as {
			if a.Calendar == name {
				mine[a.Scope+"\x00"+a.Value] = true
				wasDefault = wasDefault || a.Scope == "default"
				continue
			}
			for i, r := range in.Regions {
				conflicts.Check(!(a.Scope == "region" && a.Value == r), fmt.Sprintf("regions[%d]", i), "assigned_elsewhere", fmt.Sprintf("region %q uses calendar %q; remove it there first", r, a.Calendar))
			}
			for i, t := range in.Teams {
				conflicts.Check(!(a.Scope == "team" && a.Value == t), fmt.Sprintf("teams[%d]", i), "assigned_elsewhere", fmt.Sprintf("team %q uses calendar %q; remove it there first", t, a.Calendar))
			}
		}
		if wasDefault && !in.Default {
			conflicts.Add("default", "default_required", "this is the default calendar; make another calendar the default instead")
		}
		if err := conflicts.Err(); err != nil {
			ce := apperr.Conflict("calendar_assignment_conflict", "a region or team can use only one calendar, and there is always one default")
			var ve *apperr.Error
			if errors.As(err, &ve) {
				ce.Fields = ve.Fields
			}
			return ce
		}
		version = 1
		if exists {
			version = old.Version + 1
		}
		if err := tx.Create(&calendarRow{Name: name, Version: version, Spec: string(raw), CreatedBy: pr.Subject, CreatedAt: s.now(), Reason: strings.TrimSpace(in.Reason)}).Error; err != nil {
			return err
		}
		want := map[string]bool{}
		for _, r := range in.Regions {
			want["region\x00"+r] = true
		}
		for _, t := range in.Teams {
			want["team\x00"+t] = true
		}
		if in.Default {
			want["default\x00"] = true
			if !wasDefault { // the default moves here
				if err := tx.Where("scope = 'default'").Delete(&assignmentRow{}).Error; err != nil {
					return err
				}
			}
		}
		for k := range mine {
			if !want[k] {
				sc, val, _ := strings.Cut(k, "\x00")
				touched = append(touched, assignmentRow{Scope: sc, Value: val})
				if err := tx.Where("scope = ? AND value = ? AND calendar = ?", sc, val, name).Delete(&assignmentRow{}).Error; err != nil {
					return err
				}
			}
		}
		for k := range want {
			if !mine[k] {
				sc, val, _ := strings.Cut(k, "\x00")
				touched = append(touched, assignmentRow{Scope: sc, Value: val})
				if err := tx.Create(&assignmentRow{Scope: sc, Value: val, Calendar: name}).Error; err != nil {
					return err
				}
			}
		}
		var changes []policy.Change
		if !exists || old.Spec != string(raw) {
			changes = append(changes, policy.Change{Field: "spec", From: old.Spec, To: string(raw)})
		}
		for _, a := range touched {
			c := policy.Change{Field: "assignment." + a.Scope + ":" + a.Value}
			if want[a.Scope+"\x00"+a.Value] {
				c.To = name
			} else {
				c.From = name
			}
			changes = append(changes, c)
		}
		action := "updated"
		if !exists {
			action = "created"
		}
		return writeAudit(ctx, tx, "calendar", name, version, action, pr.Subject, strings.TrimSpace(in.Reason), changes)
	})
	if err != nil {
		return CalendarView{}, err
	}
	s.startRollout(ctx, "calendar", name, version, s.now())
	return s.calendar(ctx, name)
}

// Deadline is the answer of the calendar calculator.
type Deadline struct {
	Calendar string    `json:"calendar"`
	Version  int64     `json:"version"`
	From     time.Time `json:"from"`
	Duration string    `json:"duration"`
	Due      time.Time `json:"due"`
	Working  bool      `json:"from_is_working_time"`
}

// Deadline adds a business duration to an instant in a calendar, so analysts
// can check a calendar before they rely on it.
func (s *Service) Deadline(ctx context.Context, name string, from time.Time, duration string) (Deadline, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return Deadline{}, err
	}
	var v apperr.Validation
	d, err := policy.ParseDuration(duration)
	if err != nil {
		v.Add("duration", "invalid", err.Error())
	}
	v.Check(!from.IsZero(), "from", "required", "an RFC 3339 instant, such as 2026-09-30T16:00:00+08:00")
	if err := v.Err(); err != nil {
		return Deadline{}, err
	}
	var r calendarRow
	err = s.db.WithContext(ctx).Where("name = ?", name).Order("version DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Deadline{}, apperr.NotFound("calendar_not_found", fmt.Sprintf("no calendar is named %q", name))
	}
	if err != nil {
		return Deadline{}, err
	}
	cal, err := policy.CalendarFromJSON([]byte(r.Spec))
	if err != nil {
		return Deadline{}, err
	}
	from = from.In(cal.Location())
	return Deadline{Calendar: name, Version: r.Version, From: from, Duration: d.Format(policy.ClockBusiness),
		Due: cal.Add(from, d.D()), Working: cal.IsWorkingTime(from)}, nil
}
