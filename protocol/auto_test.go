package protocol

import (
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Framing
		ok   bool
	}{
		{"Content-Length: 5\r\n", FramingContentLength, true},
		{"  \r\ncontent-length:", FramingContentLength, true},
		{"Content-", 0, false},
		{"cont", 0, false},
		{"Contents\n", FramingLines, true},
		{"", 0, false},
		{" \n\t", 0, false},
		{strings.Repeat(" ", autoWindow), FramingLines, true},
		{`{"rid":1}`, 0, false}, // a NUL or a newline will tell varlink from lines
		{`{"rid":1}` + "\n", FramingLines, true},
		{`{"method":"org.example.Ping"}` + "\x00", FramingVarlink, true},
		{"{\xff\x01\x00random", FramingLines, true}, // binary that starts with '{': not varlink, what any '{' is
		{"{" + strings.Repeat(" ", autoWindow), FramingLines, true},
		{"GET / HTTP/1.1\r\n", FramingHTTP, true},
		{"HEA", 0, false},
		{"HTTP/1.1 200 OK\r\n", FramingHTTP, true},
		{"*1\r\n$4\r\nPING\r\n", FramingRESP, true},
		{"+PONG\r\n", FramingRESP, true},
		{"-ERR unknown\r\n", FramingRESP, true},
		{"%7\r\n", FramingRESP, true},
		{"+PONG\n", FramingLines, true},
		{"\x94\x00\x01\xa4", FramingMsgpack, true},
		{"\x93\x02", FramingMsgpack, true},
		{"\x94", 0, false},
		{"[1,2]", FramingLines, true},
		{"PING\r\n", FramingRESP, true},             // an inline command (redis-cli, telnet)
		{"get k\r\nECHO hi\r\n", FramingRESP, true}, // in any case
		{"GET k\r\n", FramingRESP, true},            // GET, not of HTTP: no " HTTP/1." on its line
		{"GET / HTTP/1.1", FramingHTTP, true},       // the line not whole yet: HTTP as before
		{"PING\n", FramingRESP, true},               // a bare "\n" (nc, redis-cli --pipe of a text file): Redis takes it
		{"SET key:1 1\nget key:1\n\nPI", FramingRESP, true},
		{"SET a 1\n*2\r\n$4\r\nECHO\r\n$3\r\n\x00\x01\x02\r\n", FramingRESP, true}, // redis-cli --pipe's ECHO after a text file
		{"GET k\n", FramingRESP, true},                                             // not HTTP either
		{"GET / HTTP/1.1\n", FramingHTTP, true},                                    // HTTP with bare "\n"s
		{"GET /a\nHost: x\n", FramingHTTP, true},                                   // a line that is no command: as before
		{"PING\nsome text\n", FramingLines, true},                                  // text that only starts with a command
		{"NOPE x\r\n", FramingLines, true},                                         // no Redis command
		{"NOPE x\n", FramingLines, true},
		{"Hello, world\n", FramingLines, true},
		{"HELLO world", FramingRaw, true},
		{"\x00\x01\x02\n", FramingRaw, true},
		{"\xff\xfe bad utf8\n", FramingRaw, true},
		{strings.Repeat("a", autoWindow) + "\n", FramingRaw, true},
	} {
		got, ok := detect([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("detect(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Lines ended by a bare "\n" that read as Redis inline commands are RESP
// only when the connection's other direction did not speak first in
// something else: a server that greets in text (MPD's "OK MPD", Assuan's
// "OK Pleased to meet you") is answered by commands such as "ping" or
// "RESET" that Redis has too.
func TestDetectInlineAfterGreeting(t *testing.T) {
	for _, tc := range []struct {
		first, then string
		want        Framing
	}{
		{"", "PING\n", FramingRESP},
		{"OK MPD 0.23.5\n", "ping\n", FramingLines},
		{"OK Pleased to meet you\n", "RESET\n", FramingLines},
		{"OK MPD 0.23.5\n", "PING\r\n", FramingRESP}, // as before: CRLF and a command
		{"+PONG\r\n", "PING\n", FramingRESP},         // the other spoke RESP
	} {
		fr := NewFramerPair(FramingAuto, 100)
		if tc.first != "" {
			fr[S2C].Feed([]byte(tc.first), func(*Frame) {})
		}
		fr[C2S].Feed([]byte(tc.then), func(*Frame) {})
		if got := fr[C2S].Framing(); got != tc.want {
			t.Errorf("%q after %q: %v, want %v", tc.then, tc.first, got, tc.want)
		}
	}
}

func TestAutoContentLengthPrefixSplit(t *testing.T) {
	in := "\r\n" + lsp(`{"seq":1,"type":"request","command":"initialize"}`) + lsp("{}")
	got := checkChunking(t, FramingAuto, 1000, in)
	if len(got) != 2 || got[1].Data != "{}" || got[0].Err != "" {
		t.Fatalf("got %v", got)
	}
}

func TestAutoLines(t *testing.T) {
	in := `{"action":"register","methods":["add"]}` + "\n" + `{"rid":1,"method":"add","args":[1]}` + "\n"
	got := checkChunking(t, FramingAuto, 1000, in)
	if len(got) != 2 || got[1].Data != `{"rid":1,"method":"add","args":[1]}` {
		t.Fatalf("got %v", got)
	}
}

func TestAutoRaw(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, true, []byte("\x00\x01binary"), []byte("more\n"))
	sameFrames(t, "raw", got, []fr{{"\x00\x01binary", 8, 8, false, ""}, {"more\n", 5, 5, false, ""}})
}

func TestAutoFlushUndecided(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, true, []byte("  Content-Le"))
	sameFrames(t, "held prefix", got, []fr{{"  Content-Le", 12, 12, false, ErrMidFrame}})
	got = run(t, NewFramer(FramingAuto, 100), 100, true, []byte(" \r\n "))
	sameFrames(t, "only whitespace", got, nil)
}

func TestAutoResetDecidesAgain(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, false, []byte("\x00\x01binary"))
	f.Reset()
	// Now the stream looks like content-length; the new framer
	// resynchronises at the header.
	got = append(got, run(t, f, 100, true, []byte(lsp("{}")))...)
	sameFrames(t, "after reset", got, []fr{{"\x00\x01binary", 8, 8, false, ""}, {"{}", 2, 23, false, ""}})

	// Decided content-length: a Reset keeps it, and the framer resyncs at
	// the next header, the tail of the body it lost shown raw.
	f.Reset()
	got = run(t, f, 100, true, []byte(`{"tail":1}`+lsp(`{"a":1}`)))
	if len(got) != 2 || got[0].Err != errSkipped || string(got[1].Data) != `{"a":1}` || f.Framing() != FramingContentLength {
		t.Errorf("content-length after reset: %v, framing %v", got, f.Framing())
	}
}

// A stream decided as lines stays lines after a gap, although it resumes in
// the middle of a long line that alone would look like raw bytes.
func TestAutoResetKeepsLines(t *testing.T) {
	f := NewFramer(FramingAuto, 100)
	got := run(t, f, 100, false, []byte("{\"a\":1}\n"))
	if f.Framing() != FramingLines {
		t.Fatalf("decided %v, want lines", f.Framing())
	}
	f.Reset()
	mid := strings.Repeat("x", 5000) + "\"}\n{\"b\":2}\n"
	got = append(got, run(t, f, 100, true, []byte(mid))...)
	sameFrames(t, "after a gap", got, []fr{{`{"a":1}`, 7, 8, false, ""}, {`{"b":2}`, 7, 5011, false, ""}})
	if f.Framing() != FramingLines {
		t.Errorf("after the gap: %v, want lines", f.Framing())
	}
}
