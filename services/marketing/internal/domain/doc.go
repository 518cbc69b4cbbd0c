// Package domain holds the marketing service's rules for campaigns and the
// win-back of lost customers, free of storage, transport and Temporal:
//
//   - a campaign (campaign.go): what a valid one is — name, objective, type,
//     channels, segment, holdout share, money, dates, owner and team — with
//     every bad field reported at once; its edits, allowed in draft only;
//   - its states (state.go): draft → approved → running → completed, and
//     cancelled from any of the first three; which moves are refused and why;
//   - its costs (cost.go): what a valid cost entry is and in which states it
//     is recorded;
//   - who sees and does what (scope.go): the marketing department is its
//     configured teams; marketers and marketing managers work their teams'
//     campaigns, a marketing manager approves, analysts read, everyone else
//     sees nothing (404);
//   - the customers a campaign reaches: its segment, a saved filter over
//     customers (segment.go), less a deterministic holdout share kept as
//     control group (holdout.go);
//   - between campaigns: a customer is in at most one running campaign, and
//     the documented precedence says which keeps them (precedence.go); no
//     customer is touched more often than the contact-pressure limit allows
//     (pressure.go);
//   - the win-back cadence (cadence.go): its steps, and which touch comes
//     next when the cadence changed mid-flight;
//   - email touches (email.go): which are emailed, which fall back to an
//     action plan for the owner and why, which are dropped (opted out); the
//     signed, expiring links that opt a customer out (unsubscribe.go);
//   - what a campaign achieved (evaluation.go): rates, uplift against the
//     holdout with Newcombe's confidence interval, incremental revenue, cost
//     per response and win, return on investment.
//
// Every change is a pure function of the campaign, the actor and the
// instant, returning the changed copy; the repository stores it (an
// Update(ctx, id, fn) keeps the transaction in the adapter). Limits that are
// policy — the contact-pressure limit, a cadence's steps — are parameters,
// never constants of this package.
//
// Refusals are *apperr.Error values (errors.go) with stable codes, so the
// HTTP port maps them in one place and a workflow's refusal keeps its code
// (ErrorByCode).
package domain
