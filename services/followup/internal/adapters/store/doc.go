// Package store is the follow-up service's gorm storage, on the schema of
// package adapters' migrations:
//
//   - FollowUps: follow-ups and their history. Writes go through Create (a
//     new record, once) and Update(ctx, id, func(*domain.FollowUp) error),
//     which loads the record for update in a transaction, lets the function
//     apply a domain state change, and stores the record with the history
//     entries the change added — in the same transaction. Reads: one
//     follow-up, its history, the managers' keyset pages and overdue counts
//     (views.go), the on-time statistics (stats.go), the open follow-ups a
//     dry run or a rollout reads.
//   - Policies: timer policy versions and the audit trail;
//     Update(ctx, name, func(*domain.PolicyHistory) error).
//   - Calendars: calendar versions and assignments;
//     Update(ctx, func(*domain.Calendars) error).
//   - Scoped: the caller-scope filter every read of follow-ups applies.
//
// It loads facts and stores decisions; it decides nothing — whether a change
// applies, what it records and what a version or assignment becomes is the
// domain's (internal/domain), who may ask is the app's (internal/app).
//
// It is a package of its own, not part of package adapters, because
// adapters' importer_test.go builds app.Policies over it: nothing the app
// reaches may import adapters.
package store
