package app

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
)

// Recipients keeps who people are — display name, whether they manage, and
// their teams — as their signed-in calls to this service say, so that a
// message to "the managers of team north" finds its readers' email
// addresses without a directory look-up when a step runs (there is no
// service identity to make one with). Everyone who uses the console calls
// the service (the header's unread count), so the record follows changes
// of role or team from the next page they open.
type Recipients struct {
	store *store.Recipients
	mu    sync.Mutex
	known map[string]string // user id → what was recorded last
}

// NewRecipients returns the use case over its repository.
func NewRecipients(s *store.Recipients) *Recipients {
	return &Recipients{store: s, known: map[string]string{}}
}

// Saw records the caller as they are now, when that changed since this
// process last recorded them.
func (r *Recipients) Saw(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Subject == "" {
		return nil
	}
	manager := p.Has(auth.RoleManager)
	teams := slices.Clone(p.Teams)
	slices.Sort(teams)
	key := p.Name + "\x00" + map[bool]string{true: "m", false: ""}[manager] + "\x00" + strings.Join(teams, "\x00")
	r.mu.Lock()
	same := r.known[p.Subject] == key
	r.mu.Unlock()
	if same {
		return nil
	}
	if err := r.store.Seen(ctx, p.Subject, p.Name, manager, teams, time.Now().UTC()); err != nil {
		return err
	}
	r.mu.Lock()
	if len(r.known) > 100_000 { // bound the memory; forgetting only costs a write
		clear(r.known)
	}
	r.known[p.Subject] = key
	r.mu.Unlock()
	return nil
}
