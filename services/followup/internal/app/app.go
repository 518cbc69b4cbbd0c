// Package app holds the follow-up service's use cases: one method per thing
// a person or a workflow can do.
//
//   - FollowUps (followups.go, views.go, reassign.go, stats.go, dryrun.go,
//     rollout.go): people open, read, list, complete, cancel and reassign
//     follow-ups, see the overdue lists and counts and the on-time
//     statistics, and dry-run a policy change; workflows record their follow-ups
//     through activities (Record, UpdateDeadline, RecordStep, Close) and roll
//     policy and calendar changes out (RolloutPage).
//   - Policies (policies.go, calendars.go): analysts list, read, diff,
//     change, schedule, withdraw and roll back timer policy versions and
//     change business calendars; workflows resolve them (Resolve,
//     CalendarSet); a fresh database is seeded (Seed).
//
// Each use case checks the caller's permission and, for follow-ups, data
// scope (callers outside it get "not found", never "forbidden"), validates
// with the domain rules, and orchestrates: reads from the repositories,
// starts and signals workflows (Workflows), tells running workflows about new
// versions (Rollouts), asks the customer service who a customer belongs to
// (Customers) and who a new owner is (Users). Writes go through a repository's Update, which runs the
// transaction and applies the domain's state change inside it.
//
// It does not own the rules (internal/domain), SQL or transactions
// (internal/adapters/store), nor HTTP, Temporal or the customer service's
// API (internal/ports).
package app

import "time"

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
