// Package roundtrips measures what one business action costs end to end —
// workflow starts, updates, signals, workflow and activity tasks, local
// activities, timers, history events, SQL statements and transactions per
// service, HTTP calls between services, calls to Temporal's API — by running
// it once against the real in-process stack (customer, follow-up and sales
// services and the workflow worker on Temporal and a real database) and
// reading the trace it leaves and the histories of the workflows it touched.
//
// Everything is in the package's tests (roundtrips_test.go): go test
// -run TestRoundTrips -v ./services/internal/stacktest/roundtrips/ prints the
// table and, with ROUNDTRIPS=1, the span trees of a lead creation and a visit
// request, for docs/performance.md.
package roundtrips
