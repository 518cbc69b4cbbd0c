// Package app holds the follow-up service's use cases: one method per thing
// a person or a workflow can do. Policies is the timer policy and business
// calendar use cases (policies.go, calendars.go).
//
// Each use case checks the caller's permission and, for follow-ups, data
// scope (callers outside it get "not found", never "forbidden"), validates
// with the domain rules, and hands writes to a repository whose Update runs
// the transaction and applies the domain's state change inside it. The
// rules themselves are the domain's; storage is the adapters'; HTTP and
// Temporal are the ports'.
package app

import "time"

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
