package replay

import (
	"encoding/json"
	"strings"
	"testing"
)

// --dump writes the id as the JSON it was: the number 1 as 1, the string
// "1" as "1", no id as null.
func TestDumpIDIsRawJSON(t *testing.T) {
	for id, want := range map[string]string{`1`: `"id":1,`, `"1"`: `"id":"1",`, `{"a":[1]}`: `"id":{"a":[1]},`, ``: `"id":null,`} {
		b, err := json.Marshal(Compared{ID: id, Method: "add"})
		if err != nil || !strings.Contains(string(b), want) || strings.Count(string(b), `"id":`) != 1 {
			t.Errorf("id %s: %s, %v; want %s", id, b, err, want)
		}
	}
}
