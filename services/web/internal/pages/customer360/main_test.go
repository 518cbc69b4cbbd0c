package customer360_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
