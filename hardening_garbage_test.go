//go:build unix

package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// garbageCase is one connection: valid frame, garbage, valid frame.
type garbageCase struct {
	name    string
	garbage []string // sent one after the other, each echoed before the next
	reason  string   // what the raw message's reason must contain
}

// lsp frames body with a Content-Length header.
func lsp(body string) string {
	return "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func randomBytes(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// Garbage between valid frames is forwarded unchanged, shown raw with a
// reason, crashes nothing, and the valid frame after it is decoded.
func TestGarbage(t *testing.T) {
	const before, after = `{"jsonrpc":"2.0","id":1,"method":"before"}`, `{"jsonrpc":"2.0","id":2,"method":"after"}`
	deepArray := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepObject := strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000)
	t.Run("auto", func(t *testing.T) {
		runGarbage(t, "auto", func(s string) string { return s + "\n" }, before, after, []garbageCase{
			{"random bytes", []string{randomBytes(64<<10) + "\n"}, ""},
			{"invalid UTF-8", []string{"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"bad\xff\xfe\"}\n", "caf\xe9\n"}, "UTF-8"},
			{"NUL bytes", []string{"\x00\x00\x00{\"id\":\x00}\n"}, ""},
			{"deep array", []string{deepArray + "\n"}, "nesting"},
			{"deep object", []string{deepObject + "\n"}, "nesting"},
		})
	})
	t.Run("content-length", func(t *testing.T) {
		runGarbage(t, "content-length", lsp, before, after, []garbageCase{
			{"negative", []string{"Content-Length: -5\r\n\r\n"}, "negative Content-Length"},
			{"non-numeric", []string{"Content-Length: 12abc\r\n\r\n"}, "non-numeric Content-Length"},
			{"overflow", []string{"Content-Length: 99999999999999999999999\r\n\r\n"}, "overflows"},
			{"NUL bytes", []string{"Content-Length: \x00\x00\r\n\r\n"}, "Content-Length"},
			{"random bytes", []string{randomBytes(16<<10) + "\n"}, ""},
		})
	})
}

// runGarbage runs sockscope --dump with framing and, per case, a connection
// sending frame(before), the garbage, then frame(after), each echoed back
// unchanged. It checks the dump shows the garbage raw with its reason and
// decodes the request after it.
func runGarbage(t *testing.T, framing string, frame func(string) string, before, after string, cases []garbageCase) {
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	p := startSS(t, nil, "--dump", "--lossless", "--framing", framing, "--listen", front, svc)
	waitListening(t, front)
	for _, tc := range cases {
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		echo(t, c, frame(before))
		for _, g := range tc.garbage {
			echo(t, c, g)
		}
		echo(t, c, frame(after))
		c.Close()
	}
	eventually(t, "every connection's end in the dump", func() bool {
		return strings.Count(p.out.String(), `{"type":"close"`) == 1+len(cases) // and waitListening's probe
	})
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	byConn := map[int][]map[string]any{}
	for _, l := range dumpLines(t, p.out.Bytes()) {
		if l["type"] == "message" && l["dir"] == "c2s" {
			conn := int(l["conn"].(float64))
			byConn[conn] = append(byConn[conn], l)
		}
	}
	for i, tc := range cases {
		msgs := byConn[i+2] // connection 1 is the probe
		var raw []string
		for _, m := range msgs[1 : len(msgs)-1] {
			if m["kind"] == "raw" {
				raw = append(raw, m["reason"].(string))
			}
		}
		last := msgs[len(msgs)-1]
		switch {
		case len(msgs) < 3 || msgs[0]["method"] != "before":
			t.Errorf("%s: %d messages, first %v", tc.name, len(msgs), msgs[0])
		case last["method"] != "after" || last["kind"] != "request":
			t.Errorf("%s: the frame after the garbage was not decoded: %v", tc.name, last)
		case len(raw) == 0:
			t.Errorf("%s: no raw message for the garbage", tc.name)
		case !strings.Contains(strings.Join(raw, "|"), tc.reason):
			t.Errorf("%s: reasons %q, want one saying %q", tc.name, raw, tc.reason)
		}
		for _, r := range raw {
			if r == "" {
				t.Errorf("%s: a raw message without a reason", tc.name)
			}
		}
	}
}

// A Content-Length of 99999999999 is believed (a peer would wait for that
// many bytes too) but never allocated: what arrives is forwarded, the
// frame is shown at the connection's end with the declared size, truncated,
// with a reason, and the next connection is decoded as usual. A stream
// that starts with random bytes is relayed raw, and a frame sent on its own
// after them is still decoded.
func TestHugeContentLengthAndRawStart(t *testing.T) {
	svc, front := paths(t)
	startUpstream(t, svc, echoBytes)
	p := startSS(t, nil, "--dump", "--lossless", "--listen", front, svc)
	waitListening(t, front)
	after := `{"jsonrpc":"2.0","id":2,"method":"after"}`
	for _, msgs := range [][]string{
		{"Content-Length: 99999999999\r\n\r\n", `{"jsonrpc":"2.0","id":1,"method":"swallowed"}`, randomBytes(1 << 20)},
		{lsp(after)},
		{randomBytes(4 << 10), after + "\n"},
	} {
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			echo(t, c, m)
		}
		c.Close()
	}
	eventually(t, "every connection's end in the dump", func() bool {
		return strings.Count(p.out.String(), `{"type":"close"`) == 1+3 // and waitListening's probe
	})
	hwm := procKiB(t, p.pid(), "VmHWM")
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}
	if hwm > 256<<10 {
		t.Errorf("VmHWM %d KiB: was the declared length allocated?", hwm)
	}
	t.Logf("Content-Length: 99999999999 with 1 MiB of body: VmHWM %d KiB", hwm)
	last := map[float64]map[string]any{}
	for _, l := range dumpLines(t, p.out.Bytes()) {
		if l["type"] == "message" && l["dir"] == "c2s" {
			last[l["conn"].(float64)] = l
		}
	}
	// Its size is what came of its body; its reason says what was announced.
	came := float64(len(`{"jsonrpc":"2.0","id":1,"method":"swallowed"}`) + 1<<20)
	if m := last[2]; m["size"] != came || m["truncated"] != true || m["kind"] != "raw" ||
		!strings.Contains(fmt.Sprint(m["reason"]), "of the 99999999999 body bytes its Content-Length announced") {
		t.Errorf("the huge frame shows as size %v, truncated %v, kind %v, reason %v", m["size"], m["truncated"], m["kind"], m["reason"])
	}
	for _, conn := range []float64{3, 4} {
		if m := last[conn]; m["method"] != "after" || m["kind"] != "request" {
			t.Errorf("conn %v: the valid frame shows as %v", conn, m)
		}
	}
}
