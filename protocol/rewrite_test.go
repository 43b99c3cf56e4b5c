package protocol

import "testing"

func TestReplaceID(t *testing.T) {
	for _, c := range []struct{ in, id, want string }{
		{`{"rid":1,"method":"add","args":[1,2]}`, `2147483647`, `{"rid":2147483647,"method":"add","args":[1,2]}`},
		{`{"jsonrpc":"2.0","id":"abc","method":"x"}`, `"sockscope-1"`, `{"jsonrpc":"2.0","id":"sockscope-1","method":"x"}`},
		{`{"execute":"query-status","id":{"a":[1]}}`, `7`, `{"execute":"query-status","id":7}`},
	} {
		in := []byte(c.in)
		info := Classify(in, nil)
		if got := ReplaceID(in, info, []byte(c.id)); string(got) != c.want {
			t.Errorf("ReplaceID(%s, %s) = %s, want %s", c.in, c.id, got, c.want)
		}
		if string(in) != c.in {
			t.Errorf("ReplaceID modified its input: %s", in)
		}
	}
	if got := ReplaceID([]byte(`{"id":1}`), Info{ID: []byte("1")}, []byte("2")); got != nil {
		t.Errorf("an id outside the payload was replaced: %s", got)
	}
}

func TestRemoveID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"return": {}, "id": 1}`, `{"return": {}}`},
		{`{"id":"s2","return":{}}`, `{"return":{}}`},
		{`{ "id" : 7 , "return": {"id": 3}}`, `{  "return": {"id": 3}}`},
		{`{"error":{"class":"GenericError"},"id":[1,"a"]}`, `{"error":{"class":"GenericError"}}`},
	} {
		in := []byte(c.in)
		if got := RemoveID(in, Classify(in, nil)); string(got) != c.want {
			t.Errorf("RemoveID(%s) = %s, want %s", c.in, got, c.want)
		}
		if string(in) != c.in {
			t.Errorf("RemoveID modified its input: %s", in)
		}
	}
	if got := RemoveID([]byte(`{"return":{},"id":1}`), Info{ID: []byte("1")}); got != nil {
		t.Errorf("an id outside the payload was removed: %s", got)
	}
}

func TestAddMember(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"method":"add","args":[1,2]}`, `{"rid":9,"method":"add","args":[1,2]}`},
		{` { } `, ` {"rid":9} `},
	} {
		if got := AddMember([]byte(c.in), "rid", []byte("9")); string(got) != c.want {
			t.Errorf("AddMember(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// SetPath changes the value at the path and nothing else: the other
// members keep their order, spacing, escapes and number spellings, as a
// rule's set: promises (it rewrites one field).
func TestSetPath(t *testing.T) {
	for _, c := range []struct {
		payload, value string
		path           []string
		want, err      string
	}{
		{`{"zeta":1, "jsonrpc":"2.0","id":9007199254740993,"method":"m","params":{"b":[1,  2],"a":1,"s":"\u00e9\/x","f":1.0}}`, `42`, []string{"params", "a"},
			`{"zeta":1, "jsonrpc":"2.0","id":9007199254740993,"method":"m","params":{"b":[1,  2],"a":42,"s":"\u00e9\/x","f":1.0}}`, ""},
		{`{"args":[1, {"x":"y"}, 3]}`, `"z"`, []string{"args", "[1]", "x"}, `{"args":[1, {"x":"z"}, 3]}`, ""},
		{`{"args":[1,2]}`, `7`, []string{"args", "[0]"}, `{"args":[7,2]}`, ""},
		{`{"a":1 }`, `{"c":true}`, []string{"b"}, `{"a":1,"b":{"c":true} }`, ""},
		{`{}`, `1`, []string{"p", "q"}, `{"p":{"q":1}}`, ""},
		{`{ "p" : "text" }`, `1`, []string{"p", "q"}, `{ "p" : {"q":1} }`, ""},
		{`{"a":1,"a":2}`, `3`, []string{"a"}, `{"a":1,"a":3}`, ""}, // the last, as a decoder reads it
		{`{"x\u0041":1}`, `2`, []string{"xA"}, `{"x\u0041":2}`, ""},
		{`{"args":[1,2]}`, `7`, []string{"args", "[2]"}, "", "no element [2]"},
		{`{"args":{}}`, `7`, []string{"args", "[0]"}, "", "no element [0]: not an array"},
		{`{"a":1}`, `7`, []string{"b", "[0]"}, "", "no element [0]"},
		{`{"a":`, `7`, []string{"a"}, "", "the frame is not JSON"},
		{`{"a":1}`, `nope`, []string{"a"}, "", "the value is not JSON"},
	} {
		got, err := SetPath([]byte(c.payload), c.path, []byte(c.value))
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err {
				t.Errorf("%s %v: error %v, want %q", c.payload, c.path, err, c.err)
			}
		case err != nil:
			t.Errorf("%s %v: %v", c.payload, c.path, err)
		case string(got) != c.want:
			t.Errorf("%s %v=%s:\n got %s\nwant %s", c.payload, c.path, c.value, got, c.want)
		}
	}
}
