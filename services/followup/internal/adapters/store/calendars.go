package store

import (
	"context"
	"errors"
	"maps"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// calendarVersionRow is a row of calendar_versions.
type calendarVersionRow domain.CalendarVersion

func (calendarVersionRow) TableName() string { return "calendar_versions" }

// assignmentRow is a row of calendar_assignments: (scope, value) is the key.
type assignmentRow domain.Assignment

func (assignmentRow) TableName() string { return "calendar_assignments" }

// Calendars stores business calendar versions and their assignments.
type Calendars struct{ db *gorm.DB }

// NewCalendars returns the repository over a migrated database.
func NewCalendars(gdb *gorm.DB) *Calendars { return &Calendars{db: gdb} }

// Current returns the latest version of every calendar, by name.
func (r *Calendars) Current(ctx context.Context) (map[string]domain.CalendarVersion, error) {
	return currentCalendars(ctx, r.db)
}

func currentCalendars(ctx context.Context, tx *gorm.DB) (map[string]domain.CalendarVersion, error) {
	var rows []calendarVersionRow
	err := tx.WithContext(ctx).Where("version = (SELECT MAX(v.version) FROM calendar_versions v WHERE v.name = calendar_versions.name)").Find(&rows).Error
	out := make(map[string]domain.CalendarVersion, len(rows))
	for _, r := range rows {
		out[r.Name] = domain.CalendarVersion(r)
	}
	return out, err
}

// Latest returns a calendar's latest version (domain.ErrCalendarNotFound
// when there is none).
func (r *Calendars) Latest(ctx context.Context, name string) (domain.CalendarVersion, error) {
	var row calendarVersionRow
	err := r.db.WithContext(ctx).Where("name = ?", name).Order("version DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.CalendarVersion{}, domain.ErrCalendarNotFound(name)
	}
	return domain.CalendarVersion(row), err
}

// Names returns the name of every calendar.
func (r *Calendars) Names(ctx context.Context) (map[string]bool, error) {
	var names []string
	if err := r.db.WithContext(ctx).Model(&calendarVersionRow{}).Distinct("name").Pluck("name", &names).Error; err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// Assignments returns every assignment, by scope and value.
func (r *Calendars) Assignments(ctx context.Context) ([]domain.Assignment, error) {
	return calendarAssignments(ctx, r.db)
}

func calendarAssignments(ctx context.Context, tx *gorm.DB) ([]domain.Assignment, error) {
	var rows []assignmentRow
	err := tx.WithContext(ctx).Order("scope, value").Find(&rows).Error
	out := make([]domain.Assignment, len(rows))
	for i, a := range rows {
		out[i] = domain.Assignment(a)
	}
	return out, err
}

// Update loads every current calendar and assignment in a transaction, lets
// fn change them (domain.Calendars.Put) and stores what it changed: new
// calendar versions, the assignments removed and added, and the audit
// entries. fn must not use the repositories: the transaction holds SQLite's
// one connection.
func (r *Calendars) Update(ctx context.Context, fn func(*domain.Calendars) error) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := currentCalendars(ctx, tx)
		if err != nil {
			return err
		}
		as, err := calendarAssignments(ctx, tx)
		if err != nil {
			return err
		}
		c := domain.Calendars{Current: maps.Clone(cur), Assignments: slices.Clone(as)}
		if err := fn(&c); err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(c.Current)) {
			v := c.Current[name]
			if old, ok := cur[name]; ok && old.Version == v.Version {
				continue
			}
			row := calendarVersionRow(v)
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		before, after := map[domain.Assignment]bool{}, map[domain.Assignment]bool{}
		for _, a := range as {
			before[a] = true
		}
		for _, a := range c.Assignments {
			after[a] = true
		}
		for _, a := range as { // removals first: a moved default keeps its key
			if !after[a] {
				if err := tx.Where("scope = ? AND value = ? AND calendar = ?", a.Scope, a.Value, a.Calendar).Delete(&assignmentRow{}).Error; err != nil {
					return err
				}
			}
		}
		for _, a := range c.Assignments {
			if !before[a] {
				row := assignmentRow(a)
				if err := tx.Create(&row).Error; err != nil {
					return err
				}
			}
		}
		for _, a := range c.Audit {
			if err := writeAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// Seed stores the calendars a fresh database gets, with the default
// assignment and their audit entries, if there is no calendar yet; it
// reports whether there was none. Replicas seeding at once store each once.
func (r *Calendars) Seed(ctx context.Context, seeds []domain.SeedCalendar) (bool, error) {
	fresh := false
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&calendarVersionRow{}).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		fresh = true
		for _, sd := range seeds {
			row := calendarVersionRow(sd.Version)
			// Replicas starting together may both see no calendar: the
			// first insert wins, the others change nothing.
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			if sd.Default {
				a := assignmentRow{Scope: domain.ScopeDefault, Value: "", Calendar: sd.Version.Name}
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&a).Error; err != nil {
					return err
				}
			}
			if err := writeAudit(ctx, tx, sd.Audit); err != nil {
				return err
			}
		}
		return nil
	})
	return fresh, err
}
