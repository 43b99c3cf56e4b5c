package replay

import (
	"strings"
	"testing"
)

// Annotate lines a response up by sorted keys and marks what differs
// (inside a string holding JSON too), what is ignored and the id.
func TestAnnotate(t *testing.T) {
	then := []byte(`{"rid":1,"data":{"sum":3,"time":"a","list":[1,2]},"note":"{\"x\":1}"}`)
	now := []byte(`{"rid":1,"data":{"sum":4,"time":"b","list":[1,2]},"note":"{\"x\":2}"}`)
	ig, _ := ParseIgnore([]string{"time"})
	diff := Diff(then, now, ig, []string{"rid"})
	var got []string
	for _, l := range Annotate(now, diff, ig, []string{"rid"}) {
		got = append(got, string("PDI"[l.Mark])+" "+l.Text)
	}
	want := []string{
		`P {`,
		`P   "data": {`,
		`P     "list": [`,
		`P       1,`,
		`P       2`,
		`P     ],`,
		`D     "sum": 4,`,
		`I     "time": "b"`,
		`P   },`,
		`D   "note": "{\"x\":2}",`,
		`I   "rid": 1`,
		`P }`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s\n(diff %v)", strings.Join(got, "\n"), strings.Join(want, "\n"), diff)
	}
	if l := Annotate([]byte("not json"), []Difference{{Path: "$"}}, ig, nil); len(l) != 1 || l[0].Mark != MarkDiffers {
		t.Errorf("not JSON: %+v", l)
	}
	whole := Annotate([]byte(`{"a":{"b":1}}`), []Difference{{Path: "$.a"}}, Ignore{}, nil)
	if whole[1].Mark != MarkDiffers || whole[2].Mark != MarkDiffers || whole[0].Mark != MarkPlain {
		t.Errorf("a difference at an object marks the object's lines: %+v", whole)
	}
}
