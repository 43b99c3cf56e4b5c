package replay

import "testing"

// withSeq sets a DAP message's seq where it is, spaces and all, or adds
// it first.
func TestWithSeq(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"seq":1,"type":"event","event":"stopped"}`, `{"seq":7,"type":"event","event":"stopped"}`},
		{`{ "type" : "response", "seq" : 12 , "request_seq":3}`, `{ "type" : "response", "seq" : 7 , "request_seq":3}`},
		{`{"body":{"seq":99},"seq":5}`, `{"body":{"seq":99},"seq":7}`},
		{`{"type":"response","request_seq":2}`, `{"seq":7,"type":"response","request_seq":2}`},
		{`[1]`, `[1]`},
	} {
		if got := string(withSeq([]byte(c.in), 7)); got != c.want {
			t.Errorf("%s: %s, want %s", c.in, got, c.want)
		}
	}
}
