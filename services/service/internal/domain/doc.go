// Package domain holds the after-sales service's rules for service cases,
// free of storage, transport and Temporal:
//
//   - a case (case.go): what a valid case is — customer, type, priority
//     (defaulted by type), channel, subject, description, team and assignee —
//     with every bad field reported at once; a follow-on case of a closed
//     one; who it is assigned to and how urgent it is;
//   - its states (state.go): new → open ⇄ pending_customer ⇄ pending_internal
//     → resolved → closed, which moves are refused and why, reopening within
//     a window, closing automatically after a period;
//   - its timeline (timeline.go): the entry every change adds, which entries
//     only staff see, replies to and from the customer and internal notes;
//   - who sees, works and files which cases, and who sees their internal
//     entries (scope.go).
//
// Every change is a pure function of the case and the instant: it returns
// the changed case, the timeline entries to append and — where the SLA clock
// cares — the Effects (first response met, resolution met, clock paused or
// resumed, case reopened). The case workflow calls these functions and drives
// the SLA clock from the effects; the repository stores case and entries in
// one transaction (adapters.Cases.Update). Durations (the reopen window, the
// period after which a resolved case closes) are parameters: they come from
// policies, never from this package.
//
// Refusals are *apperr.Error values (errors.go) with stable codes, so the
// HTTP port maps them in one place and a workflow's refusal keeps its code.
package domain
