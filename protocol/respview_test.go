package protocol

import "testing"

// A comparison's view of a Redis reply puts what Redis sends in no
// particular order in one: a set's members at any depth, the array of
// SMEMBERS, HKEYS or KEYS (any case), HGETALL's RESP2 fields and values as
// an object. Other arrays, and the detail pane's view, keep their order.
func TestViewRESPUnordered(t *testing.T) {
	for _, c := range []struct {
		command, reply, want string
	}{
		{"SMEMBERS", "~3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", `["a","b","c"]`},
		{"smembers", "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", `["a","b","c"]`},
		{"KEYS", "*2\r\n$2\r\nk2\r\n$2\r\nk1\r\n", `["k1","k2"]`},
		{"LRANGE", "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", `["c","a","b"]`},
		{"HGETALL", "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n", `{"b":"2","a":"1"}`},
		{"HGETALL", "%1\r\n$1\r\nb\r\n$1\r\n2\r\n", `{"b":"2"}`},
		// A set inside an array (EVAL's, a module's): sorted; the array not.
		{"EVAL", "*2\r\n~2\r\n:2\r\n:1\r\n+x\r\n", `[[1,2],"x"]`},
		{"GET", "$2\r\nv1\r\n", `"v1"`},
		// An attribute before the reply: the reply's set sorted.
		{"SMEMBERS", "|1\r\n+k\r\n+v\r\n~2\r\n$1\r\nb\r\n$1\r\na\r\n", `["a","b"]`},
		{"SMEMBERS", "-ERR wrong type\r\n", `{"error":"ERR wrong type"}`},
	} {
		got, err := ViewRESPUnordered(nil, []byte(c.reply), c.command, nil)
		if err != nil || string(got) != c.want {
			t.Errorf("%s %q: %s, %v; want %s", c.command, c.reply, got, err, c.want)
		}
	}
	// The detail pane shows the order sent.
	got, err := AppendView(nil, FramingRESP, &Frame{Data: []byte("~2\r\n$1\r\nb\r\n$1\r\na\r\n")})
	if err != nil || string(got) != `["b","a"]` {
		t.Errorf("the detail pane's view of a set: %s, %v", got, err)
	}
	// A set that ends short is no view.
	if _, err := ViewRESPUnordered(nil, []byte("~3\r\n$1\r\nb\r\n"), "SMEMBERS", nil); err == nil {
		t.Error("a set short of its members has a view")
	}
	// EXEC's array: each reply as its queued command's (SMEMBERS sorted,
	// HGETALL an object, GET as it is); with another count of commands, as
	// any array.
	exec := "*3\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n*2\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\nv\r\n"
	for _, c := range []struct {
		queued []string
		want   string
	}{
		{[]string{"SMEMBERS", "HGETALL", "GET"}, `[["a","b"],{"f":"1"},"v"]`},
		{[]string{"SMEMBERS", "HGETALL"}, `[["b","a"],["f","1"],"v"]`},
		{nil, `[["b","a"],["f","1"],"v"]`},
	} {
		if got, err := ViewRESPUnordered(nil, []byte(exec), "exec", c.queued); err != nil || string(got) != c.want {
			t.Errorf("EXEC of %q: %s, %v; want %s", c.queued, got, err, c.want)
		}
	}
}
