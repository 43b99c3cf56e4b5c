package export

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"

	"sockscope/event"
	"sockscope/protocol"
)

// Trailers, the fields sent after a body, which HAR 1.2 has no member
// for, are a request's or a response's _trailers, as its headers are
// listed: HTTP/1.1's chunked trailer (a request's and a response's), and
// HTTP/2's trailers, a header block that ends a stream's direction after
// its DATA frames (a gRPC call's and its answer's); trailers HPACK could
// not decode are left out, and the entry's comment says why. A body
// without trailers has none (no member).
func TestHARTrailers(t *testing.T) {
	var cb, sb bytes.Buffer
	ce, se := hpack.NewEncoder(&cb), hpack.NewEncoder(&sb)
	st := observed(t, []event.Event{
		openEv(1, 0, "127.0.0.1:8080", "127.0.0.1:80"),
		dataEv(1, 1, protocol.C2S, "PUT /up HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\nTrailer: Digest\r\n\r\n"+
			"5\r\nhello\r\n0\r\nDigest: sha-256=abc\r\n\r\n"),
		dataEv(1, 2, protocol.S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum, X-Count\r\n\r\n"+
			"2\r\nok\r\n0\r\nX-Checksum: 1234\r\nX-Count: 2\r\n\r\n"),
		dataEv(1, 3, protocol.C2S, "GET /plain HTTP/1.1\r\nHost: example.test\r\n\r\n"),
		dataEv(1, 4, protocol.S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"),
		closeEv(1, 5),
		openEv(2, 10, "/front.sock", "/up.sock"),
		dataEv(2, 11, protocol.C2S, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"+h2Frame(0x4, 0, 0, nil)),
		dataEv(2, 11, protocol.S2C, h2Frame(0x4, 0, 0, nil)),
		dataEv(2, 12, protocol.C2S, h2Frame(0x1, 0x4, 1, hpackOf(ce, &cb, ":method", "POST", ":scheme", "http", ":authority", "example.test",
			":path", "/pkg.Svc/Call", "content-type", "application/grpc", "te", "trailers"))),
		dataEv(2, 13, protocol.C2S, h2Frame(0x0, 0, 1, []byte("\x00\x00\x00\x00\x02hi"))),
		dataEv(2, 14, protocol.C2S, h2Frame(0x1, 0x5, 1, hpackOf(ce, &cb, "x-client-sum", "99"))),
		dataEv(2, 15, protocol.S2C, h2Frame(0x1, 0x4, 1, hpackOf(se, &sb, ":status", "200", "content-type", "application/grpc"))),
		dataEv(2, 16, protocol.S2C, h2Frame(0x0, 0, 1, []byte("\x00\x00\x00\x00\x02yo"))),
		dataEv(2, 18, protocol.S2C, h2Frame(0x1, 0x5, 1, hpackOf(se, &sb, "grpc-status", "0", "grpc-message", "fine"))),
		// Trailers HPACK cannot decode (an index past its tables), after a
		// field that says they are trailers.
		dataEv(2, 20, protocol.C2S, h2Frame(0x1, 0x5, 3, hpackOf(ce, &cb, ":method", "GET", ":scheme", "http", ":authority", "example.test", ":path", "/bad"))),
		dataEv(2, 21, protocol.S2C, h2Frame(0x1, 0x4, 3, hpackOf(se, &sb, ":status", "200"))),
		dataEv(2, 22, protocol.S2C, h2Frame(0x0, 0, 3, []byte("body"))),
		dataEv(2, 23, protocol.S2C, h2Frame(0x1, 0x5, 3, []byte{0x00, 3, 'x', '-', 'a', 1, 'b', 0xff, 0x7f})),
		closeEv(2, 30),
	})
	type nv struct{ Name, Value string }
	type half struct {
		Trailers *[]nv `json:"_trailers"`
		PostData *struct{ Text string }
		Content  struct{ Text string }
	}
	var har struct {
		Log struct {
			Entries []struct {
				Request  half
				Response half
				Comment  string
			}
		}
	}
	out := harOf(t, st, Options{}, &har)
	if len(har.Log.Entries) != 4 {
		t.Fatalf("%d entries, want 4:\n%s", len(har.Log.Entries), out)
	}
	trailers := func(h half) string {
		if h.Trailers == nil {
			return "none"
		}
		return fmt.Sprint(*h.Trailers)
	}
	for i, w := range []struct{ req, resp, reqBody, respBody string }{
		{"[{Digest sha-256=abc}]", "[{X-Checksum 1234} {X-Count 2}]", "hello", "ok"},
		{"none", "none", "", "no"},
		{"[{x-client-sum 99}]", "[{grpc-status 0} {grpc-message fine}]", "\x00\x00\x00\x00\x02hi", "\x00\x00\x00\x00\x02yo"},
		{"none", "none", "", "body"},
	} {
		e := har.Log.Entries[i]
		var reqBody string
		if e.Request.PostData != nil {
			reqBody = e.Request.PostData.Text
		}
		if got := trailers(e.Request); got != w.req || reqBody != w.reqBody {
			t.Errorf("entry %d: the request's trailers %s, body %q; want %s, %q", i, got, reqBody, w.req, w.reqBody)
		}
		if got := trailers(e.Response); got != w.resp || e.Response.Content.Text != w.respBody {
			t.Errorf("entry %d: the response's trailers %s, body %q; want %s, %q", i, got, e.Response.Content.Text, w.resp, w.respBody)
		}
	}
	if c := har.Log.Entries[3].Comment; !strings.HasPrefix(c, "the s2c trailers were not decoded: ") {
		t.Errorf("the trailers not decoded: comment %q", c)
	}
	if bytes.Contains(out, []byte(`"_trailers":null`)) || bytes.Count(out, []byte(`"_trailers"`)) != 4 {
		t.Errorf("_trailers where there are none:\n%s", out)
	}
}
