package capture

import (
	"strings"
	"testing"
)

// TestRuleWithoutActionNamesEveryAction: a rule without an ACTION is
// refused with the list of them, and that list (--rule's help too) names
// every ACTION the parser takes (replace:JSON was left out of both).
func TestRuleWithoutActionNamesEveryAction(t *testing.T) {
	_, err := ParseRule("r1", "method:add")
	if err == nil {
		t.Fatal("a rule without an ACTION was taken")
	}
	for w, takes := range actionWords {
		name := w
		if takes {
			name += ":"
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error for a rule without an ACTION does not name %q: %v", name, err)
		}
		if !strings.Contains(Actions, name) {
			t.Errorf("Actions does not name %q: %s", name, Actions)
		}
	}
}

// A COUNT that is no number says what it should be ("times:x: a count"
// said nothing), and after:0 is taken.
func TestRuleCountErrorSaysWhatACountIs(t *testing.T) {
	for spec, want := range map[string]string{
		"method:add drop times:x":  "times:x: not a count (a whole number, at least 1)",
		"method:add drop every:0":  "every:0: not a count (a whole number, at least 1)",
		"method:add drop after:-1": "after:-1: not a count (a whole number, at least 0)",
	} {
		if _, err := ParseRule("r1", spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
	}
	if _, err := ParseRule("r1", "method:add drop after:0"); err != nil {
		t.Errorf("after:0: %v", err)
	}
}
