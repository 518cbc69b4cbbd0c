package csvimport

import (
	"bytes"
	"os"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// encodedFixtures are made from UTF-8 twins (*.utf8.*) by an encoder, so the
// committed bytes are what Excel writes on a Simplified Chinese Windows (GBK)
// and as "Unicode text" (UTF-16LE with a byte-order mark, tab separated).
// UPDATE_FIXTURES=1 writes them; otherwise they must match their twins.
var encodedFixtures = []struct {
	source, file string
	enc          encoding.Encoding
}{
	{"testdata/customers_gbk.utf8.csv", "testdata/customers_gbk.csv", simplifiedchinese.GBK},
	{"testdata/customers_utf16.utf8.txt", "testdata/customers_utf16.txt", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)},
}

func TestEncodedFixturesMatchTheirTwins(t *testing.T) {
	for _, f := range encodedFixtures {
		src, err := os.ReadFile(f.source)
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.enc.NewEncoder().Bytes(src)
		if err != nil {
			t.Fatalf("%s: %v", f.source, err)
		}
		if utf8.Valid(want) {
			t.Fatalf("%s encoded is valid UTF-8: it would not test the detection", f.file)
		}
		if os.Getenv("UPDATE_FIXTURES") != "" {
			if err := os.WriteFile(f.file, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(f.file)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s is stale: run the test again with UPDATE_FIXTURES=1 (%v)", f.file, err)
		}
	}
}
