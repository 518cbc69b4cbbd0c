package app

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// dryRunPage is how many open follow-ups a dry run reads at a time.
const dryRunPage = 5000

// DryRun is the answer of a what-if: nothing was changed.
type DryRun struct {
	Policy   string          `json:"policy"`
	At       time.Time       `json:"at"`
	Active   VersionView     `json:"active"`
	Changes  []policy.Change `json:"changes"`
	Totals   domain.Impact   `json:"totals"`
	ByTeam   []domain.Impact `json:"by_team"`
	Skipped  int             `json:"skipped"`
	Messages []string        `json:"messages,omitempty"`
}

// DryRunPolicy reports, without changing anything, what applying the value
// to a policy now would do to the open follow-ups it times or escalates
// (domain.Impact), per team and in total.
func (s *FollowUps) DryRunPolicy(ctx context.Context, name string, raw json.RawMessage) (DryRun, error) {
	cand, active, err := s.policies.Candidate(ctx, name, raw)
	if err != nil {
		return DryRun{}, err
	}
	cur, err := policy.Parse(active.Value)
	if err != nil {
		return DryRun{}, apperr.Internal(err)
	}
	cals, err := s.policies.LoadCalendars(ctx)
	if err != nil {
		return DryRun{}, err
	}
	at := now()
	out := DryRun{Policy: name, At: at, Active: active, Changes: policy.Diff(cur, cand.Value), Totals: domain.NewImpact(""), ByTeam: []domain.Impact{}}
	if out.Changes == nil {
		out.Changes = []policy.Change{}
	}
	teams := map[string]*domain.Impact{}
	after := ""
	for {
		rows, err := s.store.OpenUnder(ctx, name, after, dryRunPage)
		if err != nil {
			return DryRun{}, err
		}
		for _, f := range rows {
			t := teams[f.Team]
			if t == nil {
				i := domain.NewImpact(f.Team)
				t = &i
				teams[f.Team] = t
			}
			if !t.AddFollowUp(cand, f, at, cals) {
				out.Skipped++
			}
		}
		if len(rows) < dryRunPage {
			break
		}
		after = rows[len(rows)-1].ID
	}
	for _, t := range teams {
		out.ByTeam = append(out.ByTeam, *t)
		out.Totals.Add(*t)
	}
	sort.Slice(out.ByTeam, func(i, j int) bool { return out.ByTeam[i].Team < out.ByTeam[j].Team })
	if out.Skipped > 0 {
		out.Messages = append(out.Messages, "some follow-ups use a calendar that no longer exists and were left out")
	}
	return out, nil
}
