package store

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

type recipientRow struct {
	UserID  string `gorm:"primaryKey"`
	Name    string
	Manager bool
	SeenAt  time.Time
}

func (recipientRow) TableName() string { return "recipients" }

type recipientTeamRow struct {
	UserID string `gorm:"primaryKey"`
	Team   string `gorm:"primaryKey"`
}

func (recipientTeamRow) TableName() string { return "recipient_teams" }

// Recipients stores who people are, as their last signed-in call said, and
// finds the people a message goes to with their preferences.
type Recipients struct {
	db *gorm.DB
	// DefaultTimeZone is the time zone of people who never chose one.
	DefaultTimeZone string
}

// NewRecipients returns the repository over a migrated database.
func NewRecipients(gdb *gorm.DB, tz string) *Recipients {
	return &Recipients{db: gdb, DefaultTimeZone: tz}
}

// Seen records a person's name, whether they manage, and their teams,
// replacing what was known.
func (s *Recipients) Seen(ctx context.Context, userID, name string, manager bool, teams []string, at time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := recipientRow{UserID: userID, Name: name, Manager: manager, SeenAt: at}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&recipientTeamRow{}).Error; err != nil {
			return err
		}
		for _, t := range teams {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&recipientTeamRow{UserID: userID, Team: t}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// Of returns the people message n is addressed to, with their preferences:
// its person (known or not), or the managers of its team known here.
func (s *Recipients) Of(ctx context.Context, n domain.Notification) ([]domain.Recipient, error) {
	var ids []string
	if n.UserID != "" {
		ids = []string{n.UserID}
	} else {
		if err := s.db.WithContext(ctx).Table("recipient_teams AS t").Joins("JOIN recipients r ON r.user_id = t.user_id").
			Where("t.team = ? AND r.manager", n.ManagersOf).Order("t.user_id").Pluck("t.user_id", &ids).Error; err != nil {
			return nil, err
		}
	}
	people, err := s.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	if n.UserID != "" && len(people) == 0 { // never seen: the defaults
		people = []domain.Recipient{{UserID: n.UserID, Prefs: domain.DefaultPreferences(n.UserID, false, s.DefaultTimeZone)}}
	}
	return domain.RecipientsOf(n, people), nil
}

// OfAll is Of for many messages at once (a few queries in all): the
// recipients of each, by message id.
func (s *Recipients) OfAll(ctx context.Context, ns []domain.Notification) (map[string][]domain.Recipient, error) {
	users, teams := map[string]bool{}, map[string]bool{}
	for _, n := range ns {
		if n.UserID != "" {
			users[n.UserID] = true
		} else {
			teams[n.ManagersOf] = true
		}
	}
	ids := slices.Collect(maps.Keys(users))
	if len(teams) > 0 {
		var managers []string
		if err := s.db.WithContext(ctx).Table("recipient_teams AS t").Joins("JOIN recipients r ON r.user_id = t.user_id").
			Where("t.team IN ? AND r.manager", slices.Collect(maps.Keys(teams))).Distinct().Pluck("t.user_id", &managers).Error; err != nil {
			return nil, err
		}
		ids = append(ids, managers...)
	}
	people, err := s.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, p := range people {
		known[p.UserID] = true
	}
	out := make(map[string][]domain.Recipient, len(ns))
	for _, n := range ns {
		if n.UserID != "" && !known[n.UserID] { // never seen: the defaults
			out[n.ID] = []domain.Recipient{{UserID: n.UserID, Prefs: domain.DefaultPreferences(n.UserID, false, s.DefaultTimeZone)}}
			continue
		}
		out[n.ID] = domain.RecipientsOf(n, people)
	}
	return out, nil
}

// Names returns the display names of the people with ids known here.
func (s *Recipients) Names(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []recipientRow
	err := s.db.WithContext(ctx).Select("user_id, name").Where("user_id IN ?", ids).Find(&rows).Error
	for _, r := range rows {
		if r.Name != "" {
			out[r.UserID] = r.Name
		}
	}
	return out, err
}

// WithDigest returns the people who chose (or, as managers, kept) a daily
// digest and set an email address.
func (s *Recipients) WithDigest(ctx context.Context) ([]domain.Recipient, error) {
	var ids []string
	if err := s.db.WithContext(ctx).Model(&preferencesRow{}).Where("digest_hour IS NOT NULL AND email <> ''").
		Order("user_id").Pluck("user_id", &ids).Error; err != nil {
		return nil, err
	}
	people, err := s.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(people, func(r domain.Recipient) bool { return r.Prefs.DigestHour == nil }), nil
}

// load returns the people with ids that are known here or chose
// preferences, with their preferences (the defaults where they never chose).
func (s *Recipients) load(ctx context.Context, ids []string) ([]domain.Recipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []recipientRow
	var teams []recipientTeamRow
	var prefs []preferencesRow
	db := s.db.WithContext(ctx)
	if err := db.Where("user_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	if err := db.Where("user_id IN ?", ids).Order("team").Find(&teams).Error; err != nil {
		return nil, err
	}
	if err := db.Where("user_id IN ?", ids).Find(&prefs).Error; err != nil {
		return nil, err
	}
	byID := map[string]*domain.Recipient{}
	var order []string
	get := func(id string) *domain.Recipient {
		if r, ok := byID[id]; ok {
			return r
		}
		r := &domain.Recipient{UserID: id}
		byID[id] = r
		order = append(order, id)
		return r
	}
	for _, r := range rows {
		p := get(r.UserID)
		p.Name, p.Manager = r.Name, r.Manager
	}
	for _, t := range teams {
		p := get(t.UserID)
		p.Teams = append(p.Teams, t.Team)
	}
	chose := map[string]bool{}
	for _, row := range prefs {
		p := get(row.UserID)
		p.Prefs = preferencesOf(row)
		chose[row.UserID] = true
	}
	out := make([]domain.Recipient, 0, len(order))
	slices.Sort(order)
	for _, id := range order {
		r := byID[id]
		if !chose[id] {
			r.Prefs = domain.DefaultPreferences(id, r.Manager, s.DefaultTimeZone)
		}
		out = append(out, *r)
	}
	return out, nil
}

func preferencesOf(row preferencesRow) domain.Preferences {
	p := domain.Preferences{UserID: row.UserID, Language: row.Language, TimeZone: row.TimeZone, Email: row.Email,
		EmailKinds: []string{}, DigestHour: row.DigestHour, UpdatedAt: row.UpdatedAt.UTC()}
	if row.EmailKinds != "" {
		p.EmailKinds = strings.Split(row.EmailKinds, ",")
	}
	if row.QuietFrom != nil && row.QuietTo != nil {
		p.Quiet = &domain.QuietHours{From: *row.QuietFrom, To: *row.QuietTo}
	}
	return p
}

// maxDigestItems bounds each list of a digest: a digest is read, not
// searched; beyond it the email says how many more there are.
const maxDigestItems = 200

// DueBy returns the open follow-ups owned by ownerID due before `before`,
// by due time (at most maxDigestItems), and how many there are in all.
func (r *FollowUps) DueBy(ctx context.Context, ownerID string, before time.Time) ([]domain.FollowUp, int64, error) {
	return r.digestList(ctx, r.db.WithContext(ctx).Where("owner_id = ?", ownerID), before)
}

// OverdueIn returns the open follow-ups overdue at now that the managers of
// teams see on their board (Visible: the teams' own, and those the teams
// asked for once escalated to them), by due time (at most maxDigestItems),
// and how many there are in all.
func (r *FollowUps) OverdueIn(ctx context.Context, teams []string, now time.Time) ([]domain.FollowUp, int64, error) {
	if len(teams) == 0 {
		return nil, 0, nil
	}
	return r.digestList(ctx, Visible(r.db.WithContext(ctx), auth.Scope{Teams: teams}), now)
}

func (r *FollowUps) digestList(ctx context.Context, q *gorm.DB, before time.Time) ([]domain.FollowUp, int64, error) {
	q = q.Model(&followUpRow{}).Where("state IN ? AND due_at < ?", []string{domain.StateOpen, domain.StateEscalated}, before)
	var n int64
	if err := q.Session(&gorm.Session{}).Count(&n).Error; err != nil {
		return nil, 0, err
	}
	var rows []followUpRow
	err := q.Order("due_at, id").Limit(maxDigestItems).Find(&rows).Error
	return followUps(rows), n, err
}
