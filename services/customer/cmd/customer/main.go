// Command customer runs the customer service: its HTTP API and its Temporal
// worker. `customer migrate` applies database migrations and exits; `customer env`
// lists the environment variables it reads.
package main

import (
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/customer"
)

func main() { service.Main(customer.Spec()) }
