// Package domain holds the follow-up service's business rules, free of
// storage, transport and Temporal:
//
//   - a follow-up record and its state changes (followup.go): how a workflow's
//     record opens, which deadline changes, escalation steps and closes apply
//     to it and which change nothing (a closed one is never changed again;
//     escalation levels only go up), what its history entries say, how long
//     notes and titles may be;
//   - a follow-up a person asks to open (request.go): what a valid request
//     is, which deadline table key times it, its id under an idempotency key;
//   - the managers' views (lateness.go): the lateness buckets, whether a
//     follow-up is overdue at an instant and by how much, who an escalated one
//     went to, the list filters;
//   - reassignments (reassign.go): who may give a follow-up to whom (a
//     manager within its teams, an admin; the new owner an enabled rep or
//     manager of the team), which follow-ups another service's subject owns
//     and where to move them instead, what a reassignment changes and records;
//   - on-time statistics (stats.go): the query's range, buckets (weeks and
//     months in a time zone) and counts, and what "on time" means;
//   - rollouts (rollout.go): which follow-ups lag the policy and calendar
//     versions in force, which regions and teams a calendar covers;
//   - dry runs (impact.go): what a candidate policy value would do to one
//     open follow-up, summed per team;
//   - timer policies (policies.go): a policy's version history, the version
//     in force at an instant and each version's status, a new version or a
//     withdrawal and its audit entry, and the validation of a proposal;
//   - business calendars (calendars.go): the calendar input and name rules,
//     a new calendar version with its region, team and default assignments
//     and its audit entry, and the calendar set a dry run computes with (the
//     assignment rule itself is workflows/policy.AssignedCalendar);
//   - the calendar presets a fresh database is seeded with (presets.go).
//
// It does not own the meaning of a policy value (shape, bounds, defaults:
// workflows/policy), the calendar arithmetic (workflows/calendar), who may do
// what (the app layer), nor how any of it is stored (the adapters).
//
// Errors are *apperr.Error values (errors.go) so the HTTP port maps them in
// one place.
package domain
