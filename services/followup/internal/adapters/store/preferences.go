package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

type preferencesRow struct {
	UserID     string `gorm:"primaryKey"`
	Language   string
	TimeZone   string
	Email      string
	EmailKinds string
	QuietFrom  *string
	QuietTo    *string
	DigestHour *int
	UpdatedAt  time.Time
}

func (preferencesRow) TableName() string { return "notification_preferences" }

// Preferences stores the notification preferences people chose.
type Preferences struct{ db *gorm.DB }

// NewPreferences returns the repository over a migrated database.
func NewPreferences(gdb *gorm.DB) *Preferences { return &Preferences{db: gdb} }

// Get returns the person's preferences; false when they never chose.
func (r *Preferences) Get(ctx context.Context, userID string) (domain.Preferences, bool, error) {
	var row preferencesRow
	err := r.db.WithContext(ctx).Where("user_id = ?", userID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Preferences{}, false, nil
	}
	if err != nil {
		return domain.Preferences{}, false, err
	}
	return preferencesOf(row), true, nil
}

// Put stores the person's preferences, replacing what they chose before.
func (r *Preferences) Put(ctx context.Context, p domain.Preferences) error {
	row := preferencesRow{UserID: p.UserID, Language: p.Language, TimeZone: p.TimeZone, Email: p.Email,
		EmailKinds: strings.Join(p.EmailKinds, ","), DigestHour: p.DigestHour, UpdatedAt: p.UpdatedAt}
	if p.Quiet != nil {
		row.QuietFrom, row.QuietTo = &p.Quiet.From, &p.Quiet.To
	}
	return r.db.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error
}
