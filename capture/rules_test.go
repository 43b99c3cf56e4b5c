package capture

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/protocol"
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

// set: rewrites one field: the frame forwarded is the frame read with
// that value changed, its other members in their order, with their
// spacing, escapes and number spellings (it was re-encoded, keys sorted,
// "\u00e9" and "\/" unescaped).
func TestSetRewritesOneFieldOnly(t *testing.T) {
	a, err := parseAction(`set:$.params.a=42`)
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`{"zeta":1, "jsonrpc":"2.0","id":9007199254740993,"method":"m","params":{"b":[1,  2],"a":1,"s":"\u00e9\/x","f":1.0}}`)
	s := &seen{dir: protocol.C2S, f: protocol.Frame{Data: in, Size: len(in), Wire: len(in) + 1}, framing: protocol.FramingLines,
		enc: protocol.EncoderOf(protocol.FramingLines, protocol.Frame{Size: len(in), Wire: len(in) + 1})}
	v := (&Engine{}).apply(a, "r1", s)
	want := `{"zeta":1, "jsonrpc":"2.0","id":9007199254740993,"method":"m","params":{"b":[1,  2],"a":42,"s":"\u00e9\/x","f":1.0}}` + "\n"
	if string(v.Replace) != want {
		t.Errorf("forwarded\n%s\nwant\n%s", v.Replace, want)
	}
}

// A rules file's object entry is taken by its parts: a match with a word
// that reads as an action (the text "close") stays the match (the parts
// were joined and split again, and "close" became the action), and an
// action that is none is named as the action.
func TestRulesFileObjectsByTheirParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(path, []byte("- match: close\n  action: delay:1s\n  count: once\n"), 0o600)
	rs, err := ReadRules(path, 1)
	if err != nil || len(rs) != 1 || rs[0].Match != "close" || rs[0].Action != "delay:1s" || rs[0].Count != "once" {
		t.Fatalf("%+v, %v", rs, err)
	}
	os.WriteFile(path, []byte("- match: method:m\n  action: bogus\n"), 0o600)
	if _, err := ReadRules(path, 1); err == nil || !strings.Contains(err.Error(), `entry 1: rule r1: action "bogus": not an ACTION (delay:`) {
		t.Errorf("a bogus action: %v", err)
	}
}
