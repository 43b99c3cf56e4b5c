package capture

import (
	"strings"
	"testing"

	"sockscope/protocol"
)

// EditedFrom reads an edit's note back into the frame before the edit,
// when the note holds all of it.
func TestEditedFrom(t *testing.T) {
	old, new := `{"id":4,"result":[4]}`, `{"id":4,"result":"edited"}`
	long := `{"id":4,"result":"` + strings.Repeat("x", diffMost) + `"}`
	edit := func(d string) *protocol.Note { return &protocol.Note{Act: protocol.ActEdited, Diff: d} }
	for _, tc := range []struct {
		name string
		note *protocol.Note
		now  string
		want string // "" for none
	}{
		{"an edit", edit(diff([]byte(old), []byte(new))), new, old},
		{"by hand, with newlines", edit(diff([]byte("{\n\"a\":1\n}"), []byte(new))), new, "{\n\"a\":1\n}"},
		{"the old frame cut short", edit(diff([]byte(long), []byte(new))), new, ""},
		{"the new frame cut short", edit(diff([]byte(old), []byte(long))), long, ""},
		{"another frame's note", edit(diff([]byte(old), []byte(new))), `{"id":5}`, ""},
		{"a garbage rule", edit("garbage"), new, ""},
		{"a truncate rule", edit("truncated to 3 bytes"), new, ""},
		{"no edit", &protocol.Note{Act: protocol.ActDuplicated}, new, ""},
		{"no note", nil, new, ""},
	} {
		got, ok := EditedFrom(tc.note, []byte(tc.now))
		if ok != (tc.want != "") || string(got) != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.name, got, ok, tc.want)
		}
	}
}
