// Command marketing runs the marketing service: its HTTP API and its Temporal worker.
// `marketing migrate` applies database migrations and exits; `marketing env` lists the
// environment variables it reads.
package main

import (
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/marketing"
)

func main() { service.Main(marketing.Spec()) }
