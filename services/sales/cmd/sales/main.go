// Command sales runs the sales service: its HTTP API and its Temporal worker.
// `sales migrate` applies database migrations and exits; `sales env` lists the
// environment variables it reads.
package main

import (
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/sales"
)

func main() { service.Main(sales.Spec()) }
