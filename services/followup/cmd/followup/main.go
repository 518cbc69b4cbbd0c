// Command followup runs the follow-up service: its HTTP API and its Temporal
// worker on the "followup" task queue. `followup migrate` applies database
// migrations and exits; `followup import-customer-db` copies an existing
// install's policies, calendars and follow-ups across once (docs/deploy.md); `followup env`
// lists the environment variables it reads.
package main

import (
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/followup"
)

func main() { service.Main(followup.Spec()) }
