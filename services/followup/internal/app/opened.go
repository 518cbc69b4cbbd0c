package app

import (
	"sync"
	"time"
)

// defaultOpenPoll is how often a request that opens a follow-up (FollowUps.Open)
// looks for its record while it waits, should it miss being told: in this
// process the activity that stores it tells the request at once
// (openWaiters), on another replica the database's notification does
// (FollowUps.Stored; PostgreSQL).
const defaultOpenPoll = 50 * time.Millisecond

// openWaiters are the requests of this process waiting for a follow-up's
// record: the activity that stores it (FollowUps.Record, in the same
// process whenever this replica polled the task) wakes them, so that the
// request answers as soon as the record is there, not at its next poll.
type openWaiters struct {
	mu sync.Mutex
	by map[string][]chan struct{}
}

// wait registers a waiter for id; stop withdraws it.
func (w *openWaiters) wait(id string) (ch <-chan struct{}, stop func()) {
	c := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.by == nil {
		w.by = map[string][]chan struct{}{}
	}
	w.by[id] = append(w.by[id], c)
	return c, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		rest := w.by[id][:0]
		for _, o := range w.by[id] {
			if o != c {
				rest = append(rest, o)
			}
		}
		if len(rest) == 0 {
			delete(w.by, id)
		} else {
			w.by[id] = rest
		}
	}
}

// done wakes every waiter for id, once.
func (w *openWaiters) done(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.by[id] {
		close(c)
	}
	delete(w.by, id)
}
