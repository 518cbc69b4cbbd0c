package view

import (
	"os"
	"testing"
	"testing/fstest"
)

func TestBaseCataloguesHaveTheSameKeys(t *testing.T) {
	if err := SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
	bad := fstest.MapFS{
		"l/en.json":      {Data: []byte(`{"a":"A","b":"B"}`)},
		"l/zh-Hans.json": {Data: []byte(`{"a":"甲"}`)},
	}
	if err := SameKeys(bad, "l"); err == nil {
		t.Fatal("a missing translation was not found")
	}
}

func TestStr(t *testing.T) {
	s, n := "x", 3
	var nilp *string
	for _, c := range []struct {
		in   any
		want string
	}{{&s, "x"}, {&n, "3"}, {nilp, ""}, {nil, ""}, {"y", "y"}} {
		if got := Str(c.in); got != c.want {
			t.Errorf("Str(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}
