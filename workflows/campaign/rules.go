package campaign

import (
	"time"

	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// LostBefore is the latest instant a customer may have become lost to be
// swept at asOf: asOf less the inactivity period, counted back on the
// period's clock (elapsed time; working time of cal for business time).
func LostBefore(asOf time.Time, inactivity policy.Timer, cal *calendar.Calendar) (time.Time, error) {
	back := inactivity
	back.Duration = -inactivity.Duration
	return back.Due(asOf, cal)
}

// AddPage adds what an enrolled page did to the running totals (its
// touches are planned with the page and not carried).
func AddPage(totals, page *marketingv1.EnrolPageResult) {
	totals.Enrolled += page.GetEnrolled()
	totals.HeldOut += page.GetHeldOut()
	totals.Skipped += page.GetSkipped()
	totals.WorkflowsStarted += page.GetWorkflowsStarted()
}

// AddSweepPage adds what a swept page did to the sweep's totals.
func AddSweepPage(totals, page *marketingv1.WinBackSweepResult) {
	totals.Examined += page.GetExamined()
	totals.Enrolled += page.GetEnrolled()
	totals.Candidates += page.GetCandidates()
}
