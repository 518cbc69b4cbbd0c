package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// RepInput is a rep's membership in a territory.
type RepInput struct {
	RepID    string
	Capacity int
	Active   *bool
}

// TerritoryInput creates a territory.
type TerritoryInput struct {
	Name, Region, Industry, Team, ManagerID, Strategy string
	Reps                                              []RepInput
}

// TerritoryPatch changes the fields that are set.
type TerritoryPatch struct {
	Name, Region, Industry, Team, ManagerID, Strategy *string
}

// RepView is a member with its load.
type RepView struct {
	RepID     string `json:"rep_id"`
	Capacity  int    `json:"capacity"`
	Active    bool   `json:"active"`
	OpenLeads int    `json:"open_leads"`
	HasRoom   bool   `json:"has_room"`
}

// TerritoryView is a territory as the API shows it.
type TerritoryView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Region    string    `json:"region"`
	Industry  string    `json:"industry"`
	Team      string    `json:"team"`
	ManagerID string    `json:"manager_id"`
	Strategy  string    `json:"strategy"`
	Version   int64     `json:"version"`
	Reps      []RepView `json:"reps"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func territoryView(t adapters.Territory, reps []adapters.RepLoad) TerritoryView {
	v := TerritoryView{ID: t.ID, Name: t.Name, Region: t.Region, Industry: t.Industry, Team: t.Team, ManagerID: t.ManagerID,
		Strategy: t.Strategy, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Reps: []RepView{}}
	for _, r := range reps {
		v.Reps = append(v.Reps, RepView{RepID: r.RepID, Capacity: r.Capacity, Active: r.Active, OpenLeads: r.Load, HasRoom: r.Active && r.Load < r.Capacity})
	}
	return v
}

// mayManageTeam says whether p may define territories of team.
func mayManageTeam(p auth.Principal, team string) error {
	if p.Has(auth.RoleAdmin) || slices.Contains(p.Teams, team) {
		return nil
	}
	return domain.ErrTeamOutOfScope
}

func checkReps(v *apperr.Validation, reps []RepInput) {
	seen := map[string]bool{}
	for i, r := range reps {
		f := "reps[" + itoa(i) + "]."
		id := strings.TrimSpace(r.RepID)
		v.Check(id != "", f+"rep_id", "required", "is required")
		v.Check(len(id) <= 200, f+"rep_id", "too_long", "at most 200 characters")
		v.Check(!seen[id], f+"rep_id", "duplicate", "listed twice")
		seen[id] = true
		domain.CheckCapacity(v, f+"capacity", r.Capacity)
	}
}

// CreateTerritory defines a territory with its reps.
func (a *App) CreateTerritory(ctx context.Context, in TerritoryInput) (TerritoryView, error) {
	p, err := auth.Authorize(ctx, auth.PermTerritoriesWrite)
	if err != nil {
		return TerritoryView{}, err
	}
	t := domain.Territory{Name: strings.TrimSpace(in.Name), Region: strings.TrimSpace(in.Region), Industry: strings.TrimSpace(in.Industry),
		Team: strings.TrimSpace(in.Team), ManagerID: strings.TrimSpace(in.ManagerID), Strategy: in.Strategy}
	if t.Strategy == "" {
		t.Strategy = domain.RoundRobin
	}
	if t.ManagerID == "" && p.Has(auth.RoleManager) {
		t.ManagerID = p.Subject
	}
	err = domain.CheckTerritory(t)
	var v apperr.Validation
	if ae, ok := err.(*apperr.Error); ok {
		for _, f := range ae.Fields {
			v.Add(f.Field, f.Code, f.Message)
		}
	}
	v.Check(len(in.Reps) <= 500, "reps", "too_many", "at most 500 reps per territory")
	checkReps(&v, in.Reps)
	if err := v.Err(); err != nil {
		return TerritoryView{}, err
	}
	if err := mayManageTeam(p, t.Team); err != nil {
		return TerritoryView{}, err
	}
	rec := adapters.Territory{ID: adapters.NewID(), Name: t.Name, Region: t.Region, Industry: t.Industry, Team: t.Team,
		ManagerID: t.ManagerID, Strategy: t.Strategy, CreatedBy: p.Subject}
	reps := make([]adapters.TerritoryRep, len(in.Reps))
	for i, r := range in.Reps {
		reps[i] = adapters.TerritoryRep{RepID: strings.TrimSpace(r.RepID), Capacity: r.Capacity, Active: r.Active == nil || *r.Active}
	}
	if err := a.store.CreateTerritory(ctx, &rec, reps); err != nil {
		return TerritoryView{}, err
	}
	return a.territory(ctx, rec)
}

func (a *App) territory(ctx context.Context, t adapters.Territory) (TerritoryView, error) {
	reps, err := a.store.Reps(ctx, t.ID)
	if err != nil {
		return TerritoryView{}, err
	}
	return territoryView(t, reps), nil
}

// scopedTerritory is territory t as p may read it, or false when p may not
// read it at all. Analysts and admins read every territory with every rep's
// load; managers the territories of their teams; reps the territories they
// belong to, with only their own load.
func scopedTerritory(p auth.Principal, v TerritoryView) (TerritoryView, bool) {
	s := scopeOf(p)
	switch {
	case s.All:
		return v, true
	case len(s.Teams) > 0:
		return v, slices.Contains(s.Teams, v.Team)
	case s.OwnerID != "":
		for _, r := range v.Reps {
			if r.RepID == s.OwnerID {
				v.Reps = []RepView{r}
				return v, true
			}
		}
	}
	return TerritoryView{}, false
}

// Territory returns one territory with its reps and their loads, in the
// caller's scope (see scopedTerritory); others are not found.
func (a *App) Territory(ctx context.Context, id string) (TerritoryView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return TerritoryView{}, err
	}
	t, err := a.store.GetTerritory(ctx, id)
	if err != nil {
		return TerritoryView{}, err
	}
	v, err := a.territory(ctx, t)
	if err != nil {
		return TerritoryView{}, err
	}
	if v, ok := scopedTerritory(p, v); ok {
		return v, nil
	}
	return TerritoryView{}, domain.ErrTerritoryNotFound
}

// Territories lists the territories in the caller's scope.
func (a *App) Territories(ctx context.Context) ([]TerritoryView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return nil, err
	}
	ts, err := a.store.ListTerritories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TerritoryView, 0, len(ts))
	for _, t := range ts {
		v, err := a.territory(ctx, t)
		if err != nil {
			return nil, err
		}
		if v, ok := scopedTerritory(p, v); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// UpdateTerritory changes a territory's definition.
func (a *App) UpdateTerritory(ctx context.Context, id string, in TerritoryPatch) (TerritoryView, error) {
	p, err := auth.Authorize(ctx, auth.PermTerritoriesWrite)
	if err != nil {
		return TerritoryView{}, err
	}
	t, err := a.store.UpdateTerritory(ctx, id, func(t *adapters.Territory) error {
		if err := mayManageTeam(p, t.Team); err != nil {
			return err
		}
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = strings.TrimSpace(*src)
			}
		}
		set(&t.Name, in.Name)
		set(&t.Region, in.Region)
		set(&t.Industry, in.Industry)
		set(&t.Team, in.Team)
		set(&t.ManagerID, in.ManagerID)
		set(&t.Strategy, in.Strategy)
		if err := domain.CheckTerritory(domain.Territory{Name: t.Name, Region: t.Region, Industry: t.Industry, Team: t.Team, ManagerID: t.ManagerID, Strategy: t.Strategy}); err != nil {
			return err
		}
		return mayManageTeam(p, t.Team)
	})
	if err != nil {
		return TerritoryView{}, err
	}
	return a.territory(ctx, t)
}

// DeleteTerritory retires a territory: new leads no longer match it; leads
// already assigned keep their owner.
func (a *App) DeleteTerritory(ctx context.Context, id string) error {
	p, err := auth.Authorize(ctx, auth.PermTerritoriesWrite)
	if err != nil {
		return err
	}
	_, err = a.store.UpdateTerritory(ctx, id, func(t *adapters.Territory) error {
		if err := mayManageTeam(p, t.Team); err != nil {
			return err
		}
		ts := time.Now().UTC()
		t.DeletedAt = &ts
		return nil
	})
	return err
}

// PutRep adds a rep to a territory or changes its capacity.
func (a *App) PutRep(ctx context.Context, territoryID string, in RepInput) (TerritoryView, error) {
	p, err := auth.Authorize(ctx, auth.PermTerritoriesWrite)
	if err != nil {
		return TerritoryView{}, err
	}
	var v apperr.Validation
	in.RepID = strings.TrimSpace(in.RepID)
	v.Check(in.RepID != "" && len(in.RepID) <= 200, "rep_id", "required", "is required (at most 200 characters)")
	domain.CheckCapacity(&v, "capacity", in.Capacity)
	if err := v.Err(); err != nil {
		return TerritoryView{}, err
	}
	t, err := a.store.GetTerritory(ctx, territoryID)
	if err != nil {
		return TerritoryView{}, err
	}
	if err := mayManageTeam(p, t.Team); err != nil {
		return TerritoryView{}, err
	}
	if err := a.store.PutRep(ctx, territoryID, adapters.TerritoryRep{RepID: in.RepID, Capacity: in.Capacity, Active: in.Active == nil || *in.Active}); err != nil {
		return TerritoryView{}, err
	}
	return a.territory(ctx, t)
}

// RemoveRep takes a rep out of a territory.
func (a *App) RemoveRep(ctx context.Context, territoryID, repID string) error {
	p, err := auth.Authorize(ctx, auth.PermTerritoriesWrite)
	if err != nil {
		return err
	}
	t, err := a.store.GetTerritory(ctx, territoryID)
	if err != nil {
		return err
	}
	if err := mayManageTeam(p, t.Team); err != nil {
		return err
	}
	return a.store.RemoveRep(ctx, territoryID, repID)
}
