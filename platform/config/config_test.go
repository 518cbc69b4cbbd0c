package config

import (
	"strings"
	"testing"
	"time"
)

type inner struct {
	Addr string `env:"ADDR" default:"localhost:7233"`
}

type sample struct {
	Name     string        `env:"NAME" default:"closeloop" help:"the name"`
	Port     int           `env:"PORT" default:"8080"`
	Debug    bool          `env:"DEBUG" default:"false"`
	Wait     time.Duration `env:"WAIT" default:"5s"`
	Ratio    float64       `env:"RATIO" default:"0.8"`
	Origins  []string      `env:"ORIGINS" default:"a, b"`
	Temporal inner         `prefix:"TEMPORAL_"`
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaultsAndOverrides(t *testing.T) {
	var c sample
	if err := LoadFrom(&c, lookup(map[string]string{"PORT": "9090", "TEMPORAL_ADDR": "t:1"})); err != nil {
		t.Fatal(err)
	}
	if c.Name != "closeloop" || c.Port != 9090 || c.Debug || c.Wait != 5*time.Second || c.Ratio != 0.8 {
		t.Fatalf("unexpected %+v", c)
	}
	if len(c.Origins) != 2 || c.Origins[1] != "b" {
		t.Fatalf("origins %v", c.Origins)
	}
	if c.Temporal.Addr != "t:1" {
		t.Fatalf("nested prefix not applied: %q", c.Temporal.Addr)
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	var c sample
	err := LoadFrom(&c, lookup(map[string]string{"PORT": "x", "WAIT": "soon"}))
	if err == nil || !strings.Contains(err.Error(), "PORT") || !strings.Contains(err.Error(), "WAIT") {
		t.Fatalf("want both PORT and WAIT reported, got %v", err)
	}
}

func TestDescribe(t *testing.T) {
	vars := Describe(&sample{})
	if len(vars) != 7 || vars[0].Name != "NAME" || vars[0].Help != "the name" || vars[6].Name != "TEMPORAL_ADDR" {
		t.Fatalf("describe %+v", vars)
	}
}
