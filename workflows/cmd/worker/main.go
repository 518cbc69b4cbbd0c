// Command worker hosts every Closeloop workflow. `worker setup` registers the
// Temporal namespace, search attributes and schedules and exits (a Helm hook);
// `worker env` lists the environment variables it reads.
package main

import (
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/workflows"
)

func main() { service.Main(workflows.Spec()) }
