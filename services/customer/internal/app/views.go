package app

import (
	"encoding/json"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// CustomerView is a customer as the API shows it.
type CustomerView struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	TaxID    string  `json:"tax_id,omitempty"`
	ParentID *string `json:"parent_id"`
	Region   string  `json:"region"`
	Industry string  `json:"industry"`
	OwnerID  string  `json:"owner_id"`
	// OwnerName is the owner's name in the user directory (GET one customer only).
	OwnerName           string     `json:"owner_name,omitempty"`
	Team                string     `json:"team"`
	Website             string     `json:"website,omitempty"`
	Phone               string     `json:"phone,omitempty"`
	Address             string     `json:"address,omitempty"`
	LifecycleStage      string     `json:"lifecycle_stage"`
	RelationshipStage   string     `json:"relationship_stage,omitempty"`
	ValueClass          string     `json:"value_class,omitempty"`
	AnnualRevenue       float64    `json:"annual_revenue"`
	AnnualMarketingCost float64    `json:"annual_marketing_cost"`
	YearsOfBusiness     int        `json:"years_of_business"`
	ValueScore          float64    `json:"value_score"`
	ClassifiedAt        *time.Time `json:"classified_at,omitempty"`
	LastContactAt       *time.Time `json:"last_contact_at,omitempty"`
	CareFrom            *time.Time `json:"care_from,omitempty"`
	// A lost customer: when it became lost, why, and to which competitor
	// (if known). Absent in every other stage.
	LostAt         *time.Time    `json:"lost_at,omitempty"`
	LostReason     string        `json:"lost_reason,omitempty"`
	LostCompetitor string        `json:"lost_competitor,omitempty"`
	Version        int64         `json:"version"`
	CreatedBy      string        `json:"created_by"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	DeletedAt      *time.Time    `json:"deleted_at,omitempty"`
	Contacts       []ContactView `json:"contacts,omitempty"`
	// Care is the customer's care status (GET one customer only).
	Care *care.Status `json:"care,omitempty"`
}

func customerView(c adapters.CustomerRecord) CustomerView {
	v := CustomerView{
		ID: c.ID, Name: c.Name, ParentID: c.ParentID, Region: c.Region, Industry: c.Industry, OwnerID: c.OwnerID,
		Team: c.Team, Website: c.Website, Phone: c.Phone, Address: c.Address, LifecycleStage: c.LifecycleStage,
		RelationshipStage: c.RelationshipStage, ValueClass: c.ValueClass, AnnualRevenue: c.AnnualRevenue,
		AnnualMarketingCost: c.AnnualMarketingCost, YearsOfBusiness: c.YearsOfBusiness, ValueScore: c.ValueScore,
		ClassifiedAt: c.ClassifiedAt, LastContactAt: c.LastContactAt, Version: c.Version, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, DeletedAt: c.DeletedAt, LostAt: c.LostAt, LostReason: c.LostReason, LostCompetitor: c.LostCompetitor,
	}
	if c.TaxID != nil {
		v.TaxID = *c.TaxID
	}
	if !c.CareFrom.IsZero() {
		from := c.CareFrom
		v.CareFrom = &from
	}
	return v
}

// ContactView is a contact as the API shows it.
type ContactView struct {
	ID            string    `json:"id"`
	CustomerID    string    `json:"customer_id"`
	Name          string    `json:"name"`
	Title         string    `json:"title,omitempty"`
	Department    string    `json:"department,omitempty"`
	Email         string    `json:"email,omitempty"`
	Phone         string    `json:"phone,omitempty"`
	Mobile        string    `json:"mobile,omitempty"`
	Birthday      string    `json:"birthday,omitempty"`
	PersonalNotes string    `json:"personal_notes,omitempty"`
	DecisionRole  string    `json:"decision_role,omitempty"`
	IsPrimary     bool      `json:"is_primary"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func contactView(c adapters.ContactRecord) ContactView {
	v := ContactView{
		ID: c.ID, CustomerID: c.CustomerID, Name: c.Name, Title: c.Title, Department: c.Department, Phone: c.Phone,
		Mobile: c.Mobile, Birthday: c.Birthday, PersonalNotes: c.PersonalNotes, DecisionRole: c.DecisionRole,
		IsPrimary: c.IsPrimary, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.Email != nil {
		v.Email = *c.Email
	}
	return v
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// TreeNode is one customer in a hierarchy. Customers outside the caller's scope
// appear with only their id and Restricted set, so the shape of the tree is
// preserved without showing their data.
type TreeNode struct {
	ID         string      `json:"id"`
	Name       string      `json:"name,omitempty"`
	Region     string      `json:"region,omitempty"`
	ValueClass string      `json:"value_class,omitempty"`
	Stage      string      `json:"lifecycle_stage,omitempty"`
	Restricted bool        `json:"restricted,omitempty"`
	Children   []*TreeNode `json:"children"`
}

// Tree is a customer, the path above it and its subsidiaries.
type Tree struct {
	Ancestors []*TreeNode `json:"ancestors"`
	Root      *TreeNode   `json:"root"`
}

// AuditView is one audit entry.
type AuditView struct {
	ID         string                 `json:"id"`
	EntityType string                 `json:"entity_type"`
	EntityID   string                 `json:"entity_id"`
	Action     string                 `json:"action"`
	Actor      string                 `json:"actor"`
	Reason     string                 `json:"reason,omitempty"`
	Changes    []adapters.FieldChange `json:"changes"`
	TraceID    string                 `json:"trace_id,omitempty"`
	At         time.Time              `json:"at"`
}

func auditView(r adapters.AuditRecord) AuditView {
	v := AuditView{ID: r.ID, EntityType: r.EntityType, EntityID: r.EntityID, Action: r.Action, Actor: r.Actor, Reason: r.Reason, TraceID: r.TraceID, At: r.At}
	_ = json.Unmarshal([]byte(r.Changes), &v.Changes)
	if v.Changes == nil {
		v.Changes = []adapters.FieldChange{}
	}
	return v
}

// StageChangeView is one entry of the stage history.
type StageChangeView struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
	// Competitor is the competitor a customer lost went to, if known (a
	// lifecycle change to lost only).
	Competitor string    `json:"competitor,omitempty"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
}
