package devissuer

import "time"

// SetClock makes i read the time from now, so tests can move past deadlines
// without waiting.
func SetClock(i *Issuer, now func() time.Time) { i.clock.Store(&now) }
