package policy_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/workflows/policy"
)

const (
	referenceDoc   = "../../docs/timer-policies.md"
	beginGenerated = "<!-- BEGIN GENERATED: go test ./workflows/policy -run TestReferenceDoc with UPDATE_DOCS=1 -->"
	endGenerated   = "<!-- END GENERATED -->"
)

// generatedSection is what goes between the markers: the reference with a
// blank line after the begin marker.
func generatedSection() string { return "\n\n" + policy.Reference() + "\n" }

// TestReferenceDoc keeps the generated part of docs/timer-policies.md equal to
// Reference(). With UPDATE_DOCS=1 it rewrites that part instead; the
// hand-written text around the markers is left as it is.
func TestReferenceDoc(t *testing.T) {
	raw, err := os.ReadFile(referenceDoc)
	if err != nil {
		t.Fatalf("%v (the file holds a hand-written header and the markers %s … %s)", err, beginGenerated, endGenerated)
	}
	doc := string(raw)
	begin := strings.Index(doc, beginGenerated)
	end := strings.Index(doc, endGenerated)
	if begin < 0 || end < begin {
		t.Fatalf("%s: the markers %q and %q are missing or out of order", referenceDoc, beginGenerated, endGenerated)
	}
	from := begin + len(beginGenerated)
	want := generatedSection()
	if os.Getenv("UPDATE_DOCS") == "1" {
		updated := doc[:from] + want + doc[end:]
		if updated != doc {
			if err := os.WriteFile(referenceDoc, []byte(updated), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the generated section of %s", referenceDoc)
		}
		return
	}
	if doc[from:end] != want {
		t.Fatalf("the generated section of docs/timer-policies.md is out of date with the policy catalogue; refresh it with\n\tUPDATE_DOCS=1 go test ./workflows/policy -run TestReferenceDoc\n(from the repository root) and commit the result")
	}
}

func TestReferenceNamesEveryPolicyAndKind(t *testing.T) {
	ref := policy.Reference()
	if again := policy.Reference(); again != ref {
		t.Fatal("Reference() differs between two calls")
	}
	for _, d := range policy.Catalogue() {
		if !strings.Contains(ref, "`"+d.Name+"`") {
			t.Errorf("policy %s is not in the reference", d.Name)
		}
		if !strings.Contains(ref, d.Effect) {
			t.Errorf("what %s does is not in the reference", d.Name)
		}
	}
	for _, k := range policy.Kinds() {
		if !strings.Contains(ref, "| `"+k.Name+"` |") {
			t.Errorf("follow-up kind %s is not in the kinds table", k.Name)
		}
	}
}

// TestReferenceDefaultsParse checks that every JSON example in the reference
// is accepted as it is written and is the policy's default, in catalogue order.
func TestReferenceDefaultsParse(t *testing.T) {
	var blocks []string
	rest := policy.Reference()
	for {
		i := strings.Index(rest, "```json\n")
		if i < 0 {
			break
		}
		rest = rest[i+len("```json\n"):]
		j := strings.Index(rest, "\n```")
		if j < 0 {
			t.Fatal("unterminated JSON block")
		}
		blocks, rest = append(blocks, rest[:j]), rest[j:]
	}
	defs := policy.Catalogue()
	if len(blocks) != len(defs) {
		t.Fatalf("%d JSON blocks for %d policies", len(blocks), len(defs))
	}
	for i, d := range defs {
		v, err := policy.Parse([]byte(blocks[i]))
		if err != nil {
			t.Errorf("%s: the JSON shown does not parse: %v\n%s", d.Name, err, blocks[i])
			continue
		}
		if !reflect.DeepEqual(v, d.Default) {
			t.Errorf("%s: the JSON shown is not the default:\n%s", d.Name, blocks[i])
		}
	}
}

func TestReferenceWords(t *testing.T) {
	ref := policy.Reference()
	for _, want := range []string{
		"- **Default:** 4 business hours\n",
		"remind the owner at once, then hand it to the owner's manager after 4 business hours, then reassign it after 16 business hours, counted from the missed due time",
		"`A`: 30 calendar days; `B`: 60 calendar days; `C`: 120 calendar days",
		"from 15 minutes (`15m`) to 30 days (`30d`, or `720h` in business time)",
		"- **Default:** 1 calendar day\n",
	} {
		if !strings.Contains(ref, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
}
