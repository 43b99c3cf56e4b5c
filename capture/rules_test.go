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
