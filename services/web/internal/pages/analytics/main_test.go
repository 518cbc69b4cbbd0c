package analytics_test

import (
	"os"
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}
