package observe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// Frames carrying terminal control sequences in their method, id or payload
// come out of --dump as valid JSON lines with every such character escaped,
// and decode back to the characters that were sent.
func TestDumpEscapesControls(t *testing.T) {
	const osc52, clear = "\x1b]52;c;aGk=\x07", "\x1b[2J"
	s := newScript().
		data(1, protocol.C2S, `{"id":1,"method":"`+osc52+`"}`+"\n").
		data(2, protocol.C2S, `{"id":"`+clear+`","method":"a\qb"}`+"\n").
		data(3, protocol.C2S, `{"id":3,"method":"\u009b2J","params":"del\u007f \u2028"}`+"\n").
		data(4, protocol.C2S, "text "+osc52+"\n").
		close(5, nil)
	st := store.New(store.Config{})
	var out bytes.Buffer
	o := New(Config{Store: st, Sinks: []Sink{NewDump(&out)}})
	o.Handle(s.evs)
	o.finish(s.t0)
	raw := out.Bytes()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\x7f", "\u2028"} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("raw %q in the dump:\n%s", bad, raw)
		}
	}
	methods := map[string]bool{}
	var texts []string
	for line := range bytes.Lines(raw) {
		var l map[string]any
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("dump line %q: %v", line, err)
		}
		if m, ok := l["method"].(string); ok {
			methods[m] = true
		}
		if s, ok := l["text"].(string); ok {
			texts = append(texts, s)
		}
	}
	for _, m := range []string{osc52, `a\qb`, "\u009b2J"} {
		if !methods[m] {
			t.Errorf("method %q not in the dump; got %v", m, methods)
		}
	}
	if !strings.Contains(strings.Join(texts, ""), "text "+osc52) {
		t.Errorf("text frame lost: %q", texts)
	}
}

func TestEscapeControls(t *testing.T) {
	var spare []byte
	for in, want := range map[string]string{
		`{"a":"plain"}`:             `{"a":"plain"}`,
		"{\"a\":\"h\u00e9\u4e16\"}": "{\"a\":\"h\u00e9\u4e16\"}",
		"{\"a\":\"\x1b\x7f\"}":      `{"a":"\u001b\u007f"}`,
		"{\"a\":\"\u0085\u2029\"}":  `{"a":"\u0085\u2029"}`,
		"{\"a\":\"\xff\"}":          `{"a":"\ufffd"}`,
	} {
		if got := escapeControls([]byte(in), &spare); string(got) != want {
			t.Errorf("escapeControls(%q) = %q, want %q", in, got, want)
		}
	}
}

// An open line says "own" for a connection sockscope opened itself, and
// nothing of it for a client's.
func TestDumpOpenOwn(t *testing.T) {
	var out bytes.Buffer
	d := NewDump(&out)
	d.Open(1, time.Unix(0, 0), &event.Peer{Client: "@", PID: -1, UID: -1})
	d.Open(2, time.Unix(0, 0), &event.Peer{Client: "sockscope#1", PID: -1, UID: -1, Own: true})
	d.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || strings.Contains(lines[0], `"own"`) || !strings.HasSuffix(lines[1], `,"own":true}`) {
		t.Fatalf("open lines:\n%s", out.String())
	}
}

// A string is written with <, > and & as they are, as the session file
// writes them (an HTTP body's text read \u003chtml\u003e); an escaped
// backslash before u003c stays what it was.
func TestAppendStringKeepsHTML(t *testing.T) {
	for in, want := range map[string]string{
		`<html>&amp;</html>`: `"<html>&amp;</html>"`,
		`a\u003cb`:           `"a\\u003cb"`,
		`\<`:                 `"\\<"`,
		"\x1b\"\n":           `"\u001b\"\n"`,
		"":                   `""`,
	} {
		got := appendString(nil, in)
		var back string
		if string(got) != want || json.Unmarshal(got, &back) != nil || back != in {
			t.Errorf("appendString(%q) = %s (decodes to %q), want %s", in, got, back, want)
		}
	}
}

// A method is written as its text, escaped where JSON needs it: Neovim's
// "textDocument\/hover" as textDocument/hover, and a method whose text
// holds a quote or a backslash as a valid JSON string of that text.
func TestDumpMethodAsText(t *testing.T) {
	s := newScript().
		data(1, protocol.C2S, `{"id":1,"method":"textDocument\/hover"}`+"\n").
		data(2, protocol.C2S, `{"id":2,"method":"a\"b"}`+"\n").
		data(3, protocol.C2S, `{"id":3,"method":"c\\d\u00e9"}`+"\n").
		close(4, nil)
	var out bytes.Buffer
	o := New(Config{Store: store.New(store.Config{}), Sinks: []Sink{NewDump(&out)}})
	o.Handle(s.evs)
	o.finish(s.t0)
	methods := map[string]int{}
	for line := range bytes.Lines(out.Bytes()) {
		var l struct{ Method string }
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("dump line %q: %v", line, err)
		}
		if l.Method != "" {
			methods[l.Method]++
		}
	}
	// Each on its message line and its exchange line.
	if methods["textDocument/hover"] != 2 || methods[`a"b`] != 2 || methods[`c\dé`] != 2 || len(methods) != 3 {
		t.Errorf("methods in the dump: %v", methods)
	}
}

// A request whose row the store evicted before its reply came (pending
// longer than the store holds) still gets its exchange line, with its
// status, latency and id: --dump wrote none, its counts whole (869 lines
// for 2,188 exchanges of a session shown with --max-messages 100). So does
// one that ends with no reply.
func TestDumpExchangeOfAnEvictedRow(t *testing.T) {
	s := newScript().data(1, protocol.C2S, `{"id":"slow","method":"wait"}`+"\n").
		data(2, protocol.C2S, `{"id":"never","method":"wait"}`+"\n")
	for i := range 20 { // enough to push the first rows out of a store of 8
		s.data(3+2*i, protocol.C2S, fmt.Sprintf(`{"id":%d,"method":"add"}`+"\n", i))
		s.data(4+2*i, protocol.S2C, fmt.Sprintf(`{"id":%d,"result":%d}`+"\n", i, i))
	}
	s.data(100, protocol.S2C, `{"id":"slow","result":true}`+"\n").close(101, nil)
	st := store.New(store.Config{MaxMessages: 8})
	var out bytes.Buffer
	o := New(Config{Store: st, Sinks: []Sink{NewDump(&out)}})
	for i := range s.evs {
		o.Handle(s.evs[i : i+1])
	}
	o.finish(s.t0.Add(time.Hour))
	var got []string
	for line := range bytes.Lines(out.Bytes()) {
		var l struct {
			Type, Method, Status string
			ID                   json.RawMessage
			Latency              int64 `json:"latency_us"`
		}
		if json.Unmarshal(line, &l) == nil && l.Type == "exchange" && l.Method == "wait" {
			got = append(got, fmt.Sprintf("%s %s %d", l.ID, l.Status, l.Latency))
		}
	}
	if want := []string{`"slow" ok 99000`, `"never" no-reply 0`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the evicted rows' exchange lines %q, want %q", got, want)
	}
}
