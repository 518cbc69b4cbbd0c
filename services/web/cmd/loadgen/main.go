// Command loadgen sends mixed traffic to a running Closeloop deployment —
// lead creation, contact logs, visit requests, policy edits and list reads —
// at a fixed rate for a fixed time, as the users whose tokens it is given,
// and prints latency percentiles, business outcomes and errors per action.
// It is open-loop (requests leave on schedule however slow the earlier ones
// are) and exits 1 when the error rate exceeds -max-error-rate, 2 when the
// run could not start, 130 when interrupted (Ctrl-C) within the limit.
// docs/performance.md ("Load generator") explains how to run it against
// `make run` (`make load`) and a Helm deployment.
//
//	loadgen -base-url http://127.0.0.1 -tokens-file tokens -rate 20 -duration 1m
//	loadgen -help
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/closeloop/closeloop/services/web/internal/loadgen"
)

func main() {
	cfg, err := loadgen.ParseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C ends the schedule (the requests in flight finish and
	// the report is printed); a second one ends the program.
	go func() { <-ctx.Done(); stop() }()
	rep, err := loadgen.Run(ctx, cfg, func(s string) { fmt.Fprintln(os.Stderr, "loadgen:", s) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if cfg.JSON {
		err = rep.WriteJSON(os.Stdout)
	} else {
		err = rep.WriteText(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	switch {
	case !rep.Pass:
		os.Exit(1)
	case rep.Interrupted:
		os.Exit(130)
	}
}
