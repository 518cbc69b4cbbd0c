package charttest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// unitKeys are documented as a whole (their inner keys are Kubernetes fields or
// the same three probe settings).
var unitKeys = []string{"resources", "livenessProbe", "readinessProbe", "startupProbe"}

// valuePaths lists every value in values.yaml the way the README documents it:
// component sections as <component>.…, per-service maps as <service>., and the
// web console's own settings (those the customer section does not have) as web.….
func valuePaths(prefix string, m map[string]any, out map[string]bool) {
	for k, v := range m {
		path := prefix + k
		switch {
		case prefix == "" && k == "web":
			shared := m["customer"].(map[string]any)
			for wk, wv := range v.(map[string]any) {
				p := "web."
				if _, ok := shared[wk]; ok {
					p = "<component>."
				}
				valuePaths(p, map[string]any{wk: wv}, out)
			}
			continue
		case prefix == "" && slices.Contains(allComponents, k):
			path = "<component>"
		case prefix == "database.urls." || prefix == "database.secretKeys.":
			path = prefix + "<service>"
		}
		child, isMap := v.(map[string]any)
		if isMap && len(child) > 0 && !slices.Contains(unitKeys, k) {
			valuePaths(path+".", child, out)
			continue
		}
		out[path] = true
	}
}

// TestREADMEDocumentsEveryValue: an operator can install from the chart README
// alone, so every value has a row there.
func TestREADMEDocumentsEveryValue(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	valuePaths("", loadYAML(t, filepath.Join(chartDir, "values.yaml")), paths)
	var missing []string
	for p := range paths {
		if !strings.Contains(string(readme), "| `"+p+"` |") {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		t.Errorf("README.md has no row for `%s`", p)
	}
	// and no row for a value that no longer exists
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		if slices.Contains(allComponents, m[1]) {
			continue // the table of components
		}
		if !paths[m[1]] {
			t.Errorf("README.md documents `%s`, which values.yaml does not have", m[1])
		}
	}
}

// TestDockerfileBuildsEveryImage: each component's default image repository
// closeloop/<component> is a target of the Dockerfile, running as nonroot with the
// binary as entrypoint.
func TestDockerfileBuildsEveryImage(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	values := loadYAML(t, filepath.Join(chartDir, "values.yaml"))
	if !regexp.MustCompile(`(?m)^USER 65532:65532$`).MatchString(df) {
		t.Error("the runtime stage must run as USER 65532:65532 (the chart's runAsUser)")
	}
	build := regexp.MustCompile(`(?ms)^RUN .*?go build (.*?)\n\n`).FindStringSubmatch(df)
	if build == nil {
		t.Fatal("Dockerfile has no `RUN … go build` in its build stage")
	}
	for _, c := range allComponents {
		pkg := "./services/" + c + "/cmd/" + c
		if c == "worker" {
			pkg = "./workflows/cmd/worker"
		}
		if !strings.Contains(build[1], pkg+" ") && !strings.HasSuffix(strings.TrimSpace(build[1]), pkg) {
			t.Errorf("the Dockerfile's build stage does not build %s (the %s image copies /out/%s)", pkg, c, c)
		}
		repo, _ := lookup(values, c+".image.repository")
		if repo != "closeloop/"+c {
			t.Errorf("%s.image.repository is %v; make images builds closeloop/%s", c, repo, c)
		}
		stage := regexp.MustCompile(`(?ms)^FROM runtime AS ` + c + `\n(.*?)(\n\n|\z)`).FindStringSubmatch(df)
		if stage == nil {
			t.Errorf("Dockerfile has no target %q", c)
			continue
		}
		for _, want := range []string{
			"COPY --from=build /out/" + c + " /usr/local/bin/" + c,
			`ENTRYPOINT ["/usr/local/bin/` + c + `"]`,
		} {
			if !strings.Contains(stage[1], want) {
				t.Errorf("Dockerfile target %s lacks %q", c, want)
			}
		}
		port, _ := lookup(values, c+".containerPort")
		if p, ok := port.(float64); !ok || !strings.Contains(stage[1], fmt.Sprintf("EXPOSE %d\n", int(p))) {
			t.Errorf("Dockerfile target %s does not EXPOSE its containerPort %v", c, port)
		}
	}
}
