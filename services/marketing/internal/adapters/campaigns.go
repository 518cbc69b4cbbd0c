package adapters

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// campaignRow is a row of campaigns.
type campaignRow struct {
	ID              string
	Name            string
	Objective       string
	Type            string
	Channels        []string       `gorm:"serializer:json"`
	Segment         domain.Segment `gorm:"serializer:json"`
	Holdout         float64
	EnrolNewcomers  bool
	EmailSubject    string
	EmailBody       string
	Budget          float64
	ExpectedCost    float64
	ExpectedRevenue float64
	StartsOn        time.Time
	EndsOn          time.Time
	OwnerID         string
	Team            string
	State           string
	CreatedBy       string
	ApprovedBy      string
	ApprovedAt      *time.Time
	LaunchedBy      string
	LaunchedAt      *time.Time
	EndedBy         string
	EndedAt         *time.Time
	EndReason       string
	LaunchDoneAt    *time.Time
	LaunchEnrolled  int64
	LaunchHeldOut   int64
	LaunchSkipped   int64
	NewcomersAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Version         int64
	// The draft's request for approval (events.go).
	ApprovalRequestedBy      string
	ApprovalRequestedByName  string
	ApprovalRequestedAt      *time.Time
	ApprovalRequestedVersion int64
}

func (campaignRow) TableName() string { return "campaigns" }

// Campaign is a stored campaign: the domain's campaign and what the service
// keeps beside it (who launched and ended it, what its launch enrolled).
type Campaign struct {
	domain.Campaign
	LaunchedBy     string
	EndedBy        string
	EndReason      string
	LaunchDoneAt   *time.Time
	LaunchEnrolled int64
	LaunchHeldOut  int64
	LaunchSkipped  int64
	NewcomersAt    *time.Time
	// ApprovalRequest is the draft's last request for approval; nil when
	// none was made.
	ApprovalRequest *domain.ApprovalRequest
}

func rowOf(c Campaign) campaignRow {
	r := campaignRow{ID: c.ID, Name: c.Name, Objective: c.Objective, Type: string(c.Type), Channels: orEmpty(c.Channels), Segment: c.Segment,
		Holdout: c.Holdout, EnrolNewcomers: c.EnrolNewcomers, EmailSubject: c.EmailSubject, EmailBody: c.EmailBody, Budget: c.Budget,
		ExpectedCost: c.ExpectedCost, ExpectedRevenue: c.ExpectedRevenue, StartsOn: c.StartsOn, EndsOn: c.EndsOn, OwnerID: c.OwnerID, Team: c.Team, State: string(c.State), CreatedBy: c.CreatedBy,
		ApprovedBy: c.ApprovedBy, ApprovedAt: c.ApprovedAt, LaunchedBy: c.LaunchedBy, LaunchedAt: c.LaunchedAt, EndedBy: c.EndedBy,
		EndReason: c.EndReason, LaunchDoneAt: c.LaunchDoneAt, LaunchEnrolled: c.LaunchEnrolled, LaunchHeldOut: c.LaunchHeldOut,
		LaunchSkipped: c.LaunchSkipped, NewcomersAt: c.NewcomersAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: int64(c.Version)}
	if q := c.ApprovalRequest; q != nil {
		at := q.At
		r.ApprovalRequestedBy, r.ApprovalRequestedByName, r.ApprovalRequestedAt, r.ApprovalRequestedVersion = q.By, q.ByName, &at, int64(q.Version)
	}
	switch {
	case c.CompletedAt != nil:
		r.EndedAt = c.CompletedAt
	case c.CancelledAt != nil:
		r.EndedAt = c.CancelledAt
	}
	return r
}

func (r campaignRow) campaign() Campaign {
	c := domain.Campaign{ID: r.ID, Name: r.Name, Objective: r.Objective, Type: domain.Type(r.Type), Channels: r.Channels, Segment: r.Segment,
		Holdout: r.Holdout, Budget: r.Budget, ExpectedCost: r.ExpectedCost, ExpectedRevenue: r.ExpectedRevenue, StartsOn: r.StartsOn.UTC(),
		EndsOn: r.EndsOn.UTC(), OwnerID: r.OwnerID, Team: r.Team, State: domain.State(r.State), EnrolNewcomers: r.EnrolNewcomers,
		EmailSubject: r.EmailSubject, EmailBody: r.EmailBody,
		Version: int(r.Version), CreatedBy: r.CreatedBy, ApprovedBy: r.ApprovedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		ApprovedAt: utc(r.ApprovedAt), LaunchedAt: utc(r.LaunchedAt)}
	switch c.State {
	case domain.StateCompleted:
		c.CompletedAt = utc(r.EndedAt)
	case domain.StateCancelled:
		c.CancelledAt = utc(r.EndedAt)
	}
	out := Campaign{Campaign: c, LaunchedBy: r.LaunchedBy, EndedBy: r.EndedBy, EndReason: r.EndReason, LaunchDoneAt: utc(r.LaunchDoneAt),
		LaunchEnrolled: r.LaunchEnrolled, LaunchHeldOut: r.LaunchHeldOut, LaunchSkipped: r.LaunchSkipped, NewcomersAt: utc(r.NewcomersAt)}
	if r.ApprovalRequestedAt != nil {
		out.ApprovalRequest = &domain.ApprovalRequest{By: r.ApprovalRequestedBy, ByName: r.ApprovalRequestedByName,
			At: r.ApprovalRequestedAt.UTC(), Version: int(r.ApprovalRequestedVersion)}
	}
	return out
}

// Store is the marketing service's storage.
type Store struct{ db *gorm.DB }

// NewStore returns the store on db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// DB is the store's database (for the idempotency keys kept beside it).
func (s *Store) DB() *gorm.DB { return s.db }

// CreateCampaign stores a new campaign.
func (s *Store) CreateCampaign(ctx context.Context, c Campaign) error {
	r := rowOf(c)
	return s.db.WithContext(ctx).Create(&r).Error
}

// Campaign reads one campaign; domain.ErrNotFound when there is none.
func (s *Store) Campaign(ctx context.Context, id string) (Campaign, error) {
	var r campaignRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Campaign{}, domain.ErrNotFound
	}
	if err != nil {
		return Campaign{}, err
	}
	return r.campaign(), nil
}

// SaveCampaign writes a changed campaign if the stored one is still at
// version prev (409 version_conflict otherwise: someone changed it since it
// was read).
func (s *Store) SaveCampaign(ctx context.Context, c Campaign, prev int) error {
	r := rowOf(c)
	res := s.db.WithContext(ctx).Model(&campaignRow{}).Where("id = ? AND version = ?", c.ID, prev).Select("*").Updates(&r)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return domain.ErrVersionConflict
	}
	return nil
}

// CampaignFilter narrows a list of campaigns.
type CampaignFilter struct {
	State, Type string
	IDs         []string
}

// Cursor is a keyset position in the campaign list: (created_at, id), newest first.
type Cursor struct {
	At time.Time
	ID string
}

// Campaigns lists campaigns newest first, after the cursor.
func (s *Store) Campaigns(ctx context.Context, f CampaignFilter, after *Cursor, limit int) ([]Campaign, error) {
	q := s.db.WithContext(ctx).Model(&campaignRow{})
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if len(f.IDs) > 0 {
		q = q.Where("id IN ?", f.IDs)
	}
	if after != nil {
		q = q.Where("(created_at < ?) OR (created_at = ? AND id < ?)", after.At, after.At, after.ID)
	}
	var rows []campaignRow
	if err := q.Order("created_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Campaign, len(rows))
	for i, r := range rows {
		out[i] = r.campaign()
	}
	return out, nil
}

// Running lists the running campaigns of a type ("" any), earliest launch first.
func (s *Store) Running(ctx context.Context, typ string) ([]Campaign, error) {
	q := s.db.WithContext(ctx).Where("state = ?", string(domain.StateRunning))
	if typ != "" {
		q = q.Where("type = ?", typ)
	}
	var rows []campaignRow
	if err := q.Order("launched_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Campaign, len(rows))
	for i, r := range rows {
		out[i] = r.campaign()
	}
	return out, nil
}

// LaunchesPending lists running campaigns whose launch has not finished,
// launched before the instant: their launch workflows are (re)started.
func (s *Store) LaunchesPending(ctx context.Context, before time.Time, limit int) ([]Campaign, error) {
	var rows []campaignRow
	err := s.db.WithContext(ctx).Where("state = ? AND launch_done_at IS NULL AND launched_at < ?", string(domain.StateRunning), before).
		Order("launched_at, id").Limit(limit).Find(&rows).Error
	out := make([]Campaign, len(rows))
	for i, r := range rows {
		out[i] = r.campaign()
	}
	return out, err
}

// NewcomersDue lists running campaigns that enrol newcomers (every type
// but win-back, whose newcomers the win-back sweep enrols), launched, whose
// segment was last read for newcomers before the instant (or never).
func (s *Store) NewcomersDue(ctx context.Context, before time.Time, limit int) ([]Campaign, error) {
	var rows []campaignRow
	err := s.db.WithContext(ctx).Where("state = ? AND enrol_newcomers AND type <> ? AND launch_done_at IS NOT NULL AND (newcomers_at IS NULL OR newcomers_at < ?) AND launch_done_at < ?",
		string(domain.StateRunning), string(domain.TypeWinback), before, before).Order("id").Limit(limit).Find(&rows).Error
	out := make([]Campaign, len(rows))
	for i, r := range rows {
		out[i] = r.campaign()
	}
	return out, err
}

// NewcomersRead records when a campaign's segment was read for newcomers.
func (s *Store) NewcomersRead(ctx context.Context, id string, at time.Time) error {
	return s.db.WithContext(ctx).Model(&campaignRow{}).Where("id = ?", id).Update("newcomers_at", at).Error
}

// FinishLaunch records what a campaign's launch enrolled (once).
func (s *Store) FinishLaunch(ctx context.Context, id string, enrolled, heldOut, skipped int64, at time.Time) error {
	return s.db.WithContext(ctx).Model(&campaignRow{}).Where("id = ? AND launch_done_at IS NULL", id).
		Updates(map[string]any{"launch_done_at": at, "launch_enrolled": enrolled, "launch_held_out": heldOut, "launch_skipped": skipped}).Error
}

// costRow is a row of campaign_costs.
type costRow struct {
	ID         string
	CampaignID string
	Amount     float64
	Note       string
	SpentOn    time.Time
	CreatedBy  string
	CreatedAt  time.Time
}

func (costRow) TableName() string { return "campaign_costs" }

// AddCost stores a cost entry.
func (s *Store) AddCost(ctx context.Context, e domain.CostEntry) error {
	r := costRow{ID: e.ID, CampaignID: e.CampaignID, Amount: e.Amount, Note: e.Note, SpentOn: e.SpentOn, CreatedBy: e.By, CreatedAt: e.CreatedAt}
	return s.db.WithContext(ctx).Create(&r).Error
}

// Costs lists a campaign's cost entries, oldest spending first.
func (s *Store) Costs(ctx context.Context, campaignID string) ([]domain.CostEntry, error) {
	var rows []costRow
	if err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Order("spent_on, created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.CostEntry, len(rows))
	for i, r := range rows {
		out[i] = domain.CostEntry{ID: r.ID, CampaignID: r.CampaignID, Amount: r.Amount, Note: r.Note, SpentOn: r.SpentOn.UTC(), By: r.CreatedBy,
			CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// CostTotals sums the cost entries of campaigns.
func (s *Store) CostTotals(ctx context.Context, ids []string) (map[string]float64, error) {
	var rows []struct {
		CampaignID string
		Total      float64
	}
	out := map[string]float64{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Model(&costRow{}).Select("campaign_id, SUM(amount) AS total").Where("campaign_id IN ?", ids).
		Group("campaign_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.CampaignID] = r.Total
	}
	return out, err
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// With returns the store on tx (a transaction the caller holds).
func (s *Store) With(tx *gorm.DB) *Store { return &Store{db: tx} }
