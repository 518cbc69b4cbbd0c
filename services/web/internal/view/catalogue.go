package view

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// SameKeys checks that a page's two catalogues (<dir>/en.json and
// <dir>/zh-Hans.json in fsys) have the same message ids and no empty
// message, so no page shows an id instead of words in one language. Page
// tests call it.
func SameKeys(fsys fs.FS, dir string) error {
	keys := map[string][]string{}
	for _, lang := range []string{"en", "zh-Hans"} {
		data, err := fs.ReadFile(fsys, path.Join(dir, lang+".json"))
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("%s: %w", lang, err)
		}
		for k, v := range m {
			if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
				return fmt.Errorf("%s: message %q is empty", lang, k)
			}
			keys[lang] = append(keys[lang], k)
		}
		slices.Sort(keys[lang])
	}
	var missing []string
	for _, k := range keys["en"] {
		if _, ok := slices.BinarySearch(keys["zh-Hans"], k); !ok {
			missing = append(missing, "zh-Hans lacks "+k)
		}
	}
	for _, k := range keys["zh-Hans"] {
		if _, ok := slices.BinarySearch(keys["en"], k); !ok {
			missing = append(missing, "en lacks "+k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("catalogues differ: %s", strings.Join(missing, "; "))
	}
	return nil
}
