// Command web is Closeloop's web console.
package main

import (
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/web"
)

func main() { service.Main(web.Spec()) }
