package adapters

import "time"

// CustomerRecord is a row of customers. It never leaves the service: the HTTP
// port maps it to response types.
type CustomerRecord struct {
	ID                  string `gorm:"primaryKey"`
	Name                string
	NormalizedName      string
	TaxID               *string
	ParentID            *string
	Region              string
	Industry            string
	OwnerID             string
	Team                string
	Website             string
	Phone               string
	Address             string
	LifecycleStage      string
	RelationshipStage   string
	ValueClass          string
	AnnualRevenue       float64
	AnnualMarketingCost float64
	YearsOfBusiness     int
	ValueScore          float64
	ClassifiedAt        *time.Time
	// Care (package care): written only by contacts and care closes, never
	// by a customer update, so they are read-only here (care_from is set
	// once, at creation).
	LastContactAt *time.Time `gorm:"->"`
	CareFrom      time.Time  `gorm:"<-:create"`
	// While the customer is lost: when it became lost, why and to which
	// competitor (domain.Lost); empty in any other stage.
	LostAt         *time.Time
	LostReason     string
	LostCompetitor string
	// The campaign whose win-back the customer is in (internal/winback):
	// written only by the win-back context, never by a customer update.
	WinbackCampaignID *string `gorm:"column:winback_campaign_id;->"`
	Version           int64
	CreatedBy         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeletedAt         *time.Time
	DeletedBy         *string
}

func (CustomerRecord) TableName() string { return "customers" }

// auditView is the set of customer fields the audit trail compares.
func (c CustomerRecord) auditView() map[string]any {
	return map[string]any{
		"name": c.Name, "tax_id": deref(c.TaxID), "parent_id": deref(c.ParentID), "region": c.Region,
		"industry": c.Industry, "owner_id": c.OwnerID, "team": c.Team, "website": c.Website, "phone": c.Phone,
		"address": c.Address, "lifecycle_stage": c.LifecycleStage, "relationship_stage": c.RelationshipStage,
		"value_class": c.ValueClass, "annual_revenue": c.AnnualRevenue, "annual_marketing_cost": c.AnnualMarketingCost,
		"years_of_business": c.YearsOfBusiness, "deleted": c.DeletedAt != nil, "lost_competitor": c.LostCompetitor,
	}
}

// ContactRecord is a row of contacts.
type ContactRecord struct {
	ID            string `gorm:"primaryKey"`
	CustomerID    string
	Name          string
	Title         string
	Department    string
	Email         *string
	Phone         string
	Mobile        string
	Birthday      string
	PersonalNotes string
	DecisionRole  string
	IsPrimary     bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeletedAt     *time.Time
}

func (ContactRecord) TableName() string { return "contacts" }

func (c ContactRecord) auditView() map[string]any {
	return map[string]any{
		"name": c.Name, "title": c.Title, "department": c.Department, "email": deref(c.Email), "phone": c.Phone,
		"mobile": c.Mobile, "birthday": c.Birthday, "personal_notes": c.PersonalNotes, "decision_role": c.DecisionRole,
		"is_primary": c.IsPrimary, "deleted": c.DeletedAt != nil,
	}
}

// StageChangeRecord is one lifecycle or relationship stage change.
type StageChangeRecord struct {
	ID         string `gorm:"primaryKey"`
	CustomerID string
	Kind       string // lifecycle | relationship
	FromStage  string
	ToStage    string
	Reason     string
	// Competitor is the competitor a customer lost went to, if known (a
	// lifecycle change to lost only).
	Competitor string
	Actor      string
	At         time.Time
}

func (StageChangeRecord) TableName() string { return "stage_changes" }

// AuditRecord is one entry of a customer's audit trail.
type AuditRecord struct {
	ID         string `gorm:"primaryKey"`
	CustomerID string
	EntityType string // customer | contact
	EntityID   string
	Action     string
	Actor      string
	Reason     string
	Changes    string // JSON array of {field, before, after}
	TraceID    string
	At         time.Time
}

func (AuditRecord) TableName() string { return "audit_events" }

// FieldChange is one changed field in an audit entry.
type FieldChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
