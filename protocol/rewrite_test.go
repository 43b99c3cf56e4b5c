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
