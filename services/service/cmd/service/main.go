// Command service runs the after-sales (service) service: its HTTP API and its Temporal worker.
// `service migrate` applies database migrations and exits; `service env` lists the
// environment variables it reads.
package main

import (
	platform "github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/service"
)

func main() { platform.Main(service.Spec()) }
