package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/db"
)

// Groups and states of an enrolment.
const (
	GroupTreated = "treated"
	GroupHoldout = "holdout"

	EnrolmentActive = "active"
	EnrolmentEnded  = "ended"
)

// Enrolment is a row of enrolments: one customer in one campaign.
type Enrolment struct {
	CampaignID   string `gorm:"primaryKey"`
	CustomerID   string `gorm:"primaryKey"`
	CustomerName string
	Grp          string
	State        string
	Source       string
	OwnerID      string
	Team         string
	EnrolledAt   time.Time
	EndedAt      *time.Time
	// Outcome: how it ended (responded, opted_out, exhausted, cancelled,
	// superseded, completed); empty while active.
	Outcome       string
	Touches       int
	LastTouchAt   *time.Time
	RespondedAt   *time.Time
	ResponseKind  string
	ResponseRef   string
	LeadID        string
	Leads         int
	Opportunities int
	Won           int
	WonRevenue    float64
	WonBackAt     *time.Time
	OutcomesAt    *time.Time
	CancelSentAt  *time.Time
}

func (Enrolment) TableName() string { return "enrolments" }

// ActiveRef is a customer's running enrolment with what precedence needs of
// its campaign.
type ActiveRef struct {
	CustomerID string
	CampaignID string
	Type       string
	LaunchedAt *time.Time
}

// Active returns the active enrolments of customers, by customer.
func (s *Store) Active(ctx context.Context, customerIDs []string) (map[string]ActiveRef, error) {
	out := map[string]ActiveRef{}
	if len(customerIDs) == 0 {
		return out, nil
	}
	var rows []ActiveRef
	err := s.db.WithContext(ctx).Table("enrolments e").Select("e.customer_id, e.campaign_id, c.type, c.launched_at").
		Joins("JOIN campaigns c ON c.id = e.campaign_id").Where("e.state = ? AND c.state = ? AND e.customer_id IN ?", EnrolmentActive, "running", customerIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.CustomerID] = r
	}
	return out, err
}

// Enrolled returns which of the customers a campaign has enrolled (in any state).
func (s *Store) Enrolled(ctx context.Context, campaignID string, customerIDs []string) (map[string]Enrolment, error) {
	out := map[string]Enrolment{}
	if len(customerIDs) == 0 {
		return out, nil
	}
	var rows []Enrolment
	err := s.db.WithContext(ctx).Where("campaign_id = ? AND customer_id IN ?", campaignID, customerIDs).Find(&rows).Error
	for _, r := range rows {
		out[r.CustomerID] = r
	}
	return out, err
}

// Enrolment reads one enrolment; found false when there is none.
func (s *Store) Enrolment(ctx context.Context, campaignID, customerID string) (Enrolment, bool, error) {
	var rows []Enrolment
	err := s.db.WithContext(ctx).Where("campaign_id = ? AND customer_id = ?", campaignID, customerID).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return Enrolment{}, false, err
	}
	return rows[0], true, nil
}

// Supersede is an active enrolment to end as superseded when a customer
// moves to a campaign that comes first.
type Supersede struct{ CampaignID, CustomerID string }

// Enrol stores new enrolments in one transaction, ending the superseded
// ones first. An enrolment that exists already (a retried page) is left as
// it is; inserted reports which of in were new. A customer that became
// active in another campaign meanwhile (the unique index) fails the
// transaction: the page is retried and decided again.
func (s *Store) Enrol(ctx context.Context, in []Enrolment, sup []Supersede, at time.Time) (inserted []bool, err error) {
	inserted = make([]bool, len(in))
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, x := range sup {
			if err := tx.Model(&Enrolment{}).Where("campaign_id = ? AND customer_id = ? AND state = ?", x.CampaignID, x.CustomerID, EnrolmentActive).
				Updates(map[string]any{"state": EnrolmentEnded, "outcome": "superseded", "ended_at": at}).Error; err != nil {
				return err
			}
		}
		for i := range in {
			res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "campaign_id"}, {Name: "customer_id"}}, DoNothing: true}).Create(&in[i])
			if res.Error != nil {
				return res.Error
			}
			inserted[i] = res.RowsAffected == 1
		}
		return nil
	})
	return inserted, err
}

// EndEnrolment ends an active enrolment with its outcome (once: an ended
// one is left as it is). ended is false when it was not active.
func (s *Store) EndEnrolment(ctx context.Context, e Enrolment) (ended bool, err error) {
	res := s.db.WithContext(ctx).Model(&Enrolment{}).Where("campaign_id = ? AND customer_id = ? AND state = ?", e.CampaignID, e.CustomerID, EnrolmentActive).
		Updates(map[string]any{"state": EnrolmentEnded, "outcome": e.Outcome, "ended_at": e.EndedAt, "responded_at": e.RespondedAt,
			"response_kind": e.ResponseKind, "response_ref": e.ResponseRef, "lead_id": e.LeadID})
	return res.RowsAffected == 1, res.Error
}

// EnrolmentFilter narrows a campaign's enrolments.
type EnrolmentFilter struct {
	Group, State, Outcome string
}

// Enrolments lists a campaign's enrolments in customer id order after after.
func (s *Store) Enrolments(ctx context.Context, campaignID string, f EnrolmentFilter, after string, limit int) ([]Enrolment, error) {
	q := s.db.WithContext(ctx).Where("campaign_id = ? AND customer_id > ?", campaignID, after)
	if f.Group != "" {
		q = q.Where("grp = ?", f.Group)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.Outcome != "" {
		q = q.Where("outcome = ?", f.Outcome)
	}
	var rows []Enrolment
	err := q.Order("customer_id").Limit(limit).Find(&rows).Error
	return rows, err
}

// CustomerEnrolments lists a customer's enrolments, newest first.
func (s *Store) CustomerEnrolments(ctx context.Context, customerID string, limit int) ([]Enrolment, error) {
	var rows []Enrolment
	err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("enrolled_at DESC, campaign_id").Limit(limit).Find(&rows).Error
	return rows, err
}

// GroupCounts is what a campaign's enrolments of one group add up to.
type GroupCounts struct {
	CampaignID    string
	Grp           string
	Enrolled      int
	Touched       int
	Responded     int
	Leads         int
	Opportunities int
	Won           int
	WonBack       int
	Revenue       float64
}

// Counts adds up the enrolments of campaigns per group: one aggregate over
// the campaigns' index range.
func (s *Store) Counts(ctx context.Context, campaignIDs []string) ([]GroupCounts, error) {
	var rows []GroupCounts
	if len(campaignIDs) == 0 {
		return rows, nil
	}
	err := s.db.WithContext(ctx).Model(&Enrolment{}).Select(`campaign_id, grp, COUNT(*) AS enrolled,
		SUM(CASE WHEN touches > 0 THEN 1 ELSE 0 END) AS touched,
		SUM(CASE WHEN (responded_at IS NOT NULL AND response_kind <> 'opt_out') OR leads > 0 THEN 1 ELSE 0 END) AS responded,
		SUM(CASE WHEN leads > 0 THEN 1 ELSE 0 END) AS leads,
		SUM(CASE WHEN opportunities > 0 THEN 1 ELSE 0 END) AS opportunities,
		SUM(CASE WHEN won > 0 THEN 1 ELSE 0 END) AS won,
		SUM(CASE WHEN won_back_at IS NOT NULL THEN 1 ELSE 0 END) AS won_back,
		COALESCE(SUM(won_revenue), 0) AS revenue`).
		Where("campaign_id IN ?", campaignIDs).Group("campaign_id, grp").Scan(&rows).Error
	return rows, err
}

// CancelsPending lists active enrolments of campaigns that ended (completed
// or cancelled) whose win-back workflow has not been told yet.
func (s *Store) CancelsPending(ctx context.Context, limit int) ([]Enrolment, error) {
	var rows []Enrolment
	err := s.db.WithContext(ctx).Table("enrolments e").Select("e.*").Joins("JOIN campaigns c ON c.id = e.campaign_id").
		Where("e.state = ? AND e.cancel_sent_at IS NULL AND c.state IN ?", EnrolmentActive, []string{"completed", "cancelled"}).
		Order("e.campaign_id, e.customer_id").Limit(limit).Scan(&rows).Error
	return rows, err
}

// CancelSent marks an enrolment's workflow told of its campaign's end.
func (s *Store) CancelSent(ctx context.Context, campaignID, customerID string, at time.Time) error {
	return s.db.WithContext(ctx).Model(&Enrolment{}).Where("campaign_id = ? AND customer_id = ?", campaignID, customerID).
		Update("cancel_sent_at", at).Error
}

// EndAll ends the active enrolments of an ended campaign that have no
// workflow of their own (every enrolment of a one-touch campaign; the
// holdout of a win-back campaign: group "holdout"; "" all): outcome as
// given.
func (s *Store) EndAll(ctx context.Context, campaignID, group, outcome string, at time.Time) error {
	q := s.db.WithContext(ctx).Model(&Enrolment{}).Where("campaign_id = ? AND state = ?", campaignID, EnrolmentActive)
	if group != "" {
		q = q.Where("grp = ?", group)
	}
	return q.Updates(map[string]any{"state": EnrolmentEnded, "outcome": outcome, "ended_at": at}).Error
}

// EnrolledIn returns, per customer, the campaigns among campaignIDs that
// ever enrolled them.
func (s *Store) EnrolledIn(ctx context.Context, campaignIDs, customerIDs []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	if len(campaignIDs) == 0 || len(customerIDs) == 0 {
		return out, nil
	}
	var rows []Enrolment
	err := s.db.WithContext(ctx).Select("campaign_id, customer_id").Where("campaign_id IN ? AND customer_id IN ?", campaignIDs, customerIDs).Find(&rows).Error
	for _, r := range rows {
		if out[r.CustomerID] == nil {
			out[r.CustomerID] = map[string]bool{}
		}
		out[r.CustomerID][r.CampaignID] = true
	}
	return out, err
}

// OutcomesAsOf returns, per campaign, when its outcomes were last brought in.
func (s *Store) OutcomesAsOf(ctx context.Context, campaignIDs []string) (map[string]*time.Time, error) {
	out := map[string]*time.Time{}
	if len(campaignIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		CampaignID string
		At         db.AggTime
	}
	err := s.db.WithContext(ctx).Model(&Enrolment{}).Select("campaign_id, MAX(outcomes_at) AS at").Where("campaign_id IN ?", campaignIDs).
		Group("campaign_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.CampaignID] = r.At.Ptr()
	}
	return out, err
}

// NextOutcomeCampaign returns the first launched campaign with an id at or
// after after (after excluded when strictly) that is running or ended at
// or after endedSince: the campaigns whose outcomes are still followed.
func (s *Store) NextOutcomeCampaign(ctx context.Context, after string, strictly bool, endedSince time.Time) (Campaign, bool, error) {
	op := ">="
	if strictly {
		op = ">"
	}
	var rows []campaignRow
	err := s.db.WithContext(ctx).Where("id "+op+" ? AND launched_at IS NOT NULL AND (state = ? OR ended_at >= ?)", after, "running", endedSince).
		Order("id").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return Campaign{}, false, err
	}
	return rows[0].campaign(), true, nil
}

// Outcome is what became of an enrolled customer.
type Outcome struct {
	CustomerID                string
	Leads, Opportunities, Won int
	WonRevenue                float64
	WonBackAt                 *time.Time
	At                        time.Time
}

// RecordOutcomes stores outcomes of a campaign's enrolled customers, in one
// transaction.
func (s *Store) RecordOutcomes(ctx context.Context, campaignID string, os []Outcome) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, o := range os {
			if err := tx.Model(&Enrolment{}).Where("campaign_id = ? AND customer_id = ?", campaignID, o.CustomerID).
				Updates(map[string]any{"leads": o.Leads, "opportunities": o.Opportunities, "won": o.Won, "won_revenue": o.WonRevenue,
					"won_back_at": o.WonBackAt, "outcomes_at": o.At}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}
