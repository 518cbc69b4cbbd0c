// Package config fills one configuration struct per binary from environment
// variables. Each field names its variable and default in struct tags:
//
//	type Config struct {
//		HTTPAddr string        `env:"HTTP_ADDR" default:":8080" help:"address the HTTP API listens on"`
//		Timeout  time.Duration `env:"SHUTDOWN_TIMEOUT" default:"25s" help:"..."`
//		DB       db.Config     // nested structs are walked; an `prefix:"X_"` tag prefixes their names
//	}
//
// Supported field types: string, bool, ints, floats, time.Duration, []string
// (comma separated). Load reports every bad variable at once. Describe lists the
// variables for docs and --help output, so the documentation cannot drift from code.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Var describes one environment variable of a config struct.
type Var struct {
	Name    string
	Default string
	Help    string
	Type    string
}

// Load fills cfg (a pointer to struct) from the process environment.
func Load(cfg any) error { return LoadFrom(cfg, os.LookupEnv) }

// LoadFrom fills cfg using lookup instead of the process environment (for tests).
func LoadFrom(cfg any, lookup func(string) (string, bool)) error {
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return errors.New("config: Load needs a pointer to a struct")
	}
	var errs []error
	walk(v.Elem(), "", func(f reflect.Value, name, def string, _ reflect.StructField) {
		raw, ok := lookup(name)
		if !ok {
			raw = def
		}
		if err := set(f, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, raw, err))
		}
	})
	return errors.Join(errs...)
}

// Describe lists the variables cfg reads, in declaration order.
func Describe(cfg any) []Var {
	var out []Var
	walk(reflect.ValueOf(cfg).Elem(), "", func(f reflect.Value, name, def string, sf reflect.StructField) {
		out = append(out, Var{Name: name, Default: def, Help: sf.Tag.Get("help"), Type: f.Type().String()})
	})
	return out
}

func walk(v reflect.Value, prefix string, fn func(reflect.Value, string, string, reflect.StructField)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		f := v.Field(i)
		name, ok := sf.Tag.Lookup("env")
		if !ok {
			if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}) {
				walk(f, prefix+sf.Tag.Get("prefix"), fn)
			}
			continue
		}
		fn(f, prefix+name, sf.Tag.Get("default"), sf)
	}
}

func set(f reflect.Value, raw string) error {
	if f.Type() == reflect.TypeOf(time.Duration(0)) {
		if raw == "" {
			f.SetInt(0)
			return nil
		}
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Bool:
		if raw == "" {
			f.SetBool(false)
			return nil
		}
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if raw == "" {
			f.SetInt(0)
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Float32, reflect.Float64:
		if raw == "" {
			f.SetFloat(0)
			return nil
		}
		n, err := strconv.ParseFloat(raw, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetFloat(n)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported slice type %s", f.Type())
		}
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported field type %s", f.Type())
	}
	return nil
}
