package export

import (
	"bytes"
	"compress/gzip"
	"sockscope/internal/h2test"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"

	"sockscope/event"
	"sockscope/protocol"
)

// h2Frame is h2test.Frame as a string.
func h2Frame(typ, flags byte, stream uint32, payload []byte) string {
	return string(h2test.Frame(typ, flags, stream, payload))
}

// hpackOf encodes fields (name, value, …) with enc into a header block.
func hpackOf(enc *hpack.Encoder, buf *bytes.Buffer, fields ...string) []byte {
	buf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(buf.Bytes())
}

// HTTP/2 exchanges as HAR entries: a POST whose body comes in two DATA
// frames (one padded) and whose gzip-encoded answer ends with trailers;
// a request the server refused (RST_STREAM); one whose answer's stream
// never ended. The connection's other frames (the preface, SETTINGS,
// DATA, trailers, the reset) have no entries of their own; a block HPACK
// could not decode leaves its half as sockscope's, saying why.
func TestHARofHTTP2(t *testing.T) {
	var cb, sb bytes.Buffer
	ce, se := hpack.NewEncoder(&cb), hpack.NewEncoder(&sb)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"ok":true}`))
	zw.Close()
	z := gz.String()
	padded := append([]byte{3}, "hello "+"\x00\x00\x00"...)
	st := observed(t, []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		dataEv(1, 1, protocol.C2S, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"+h2Frame(0x4, 0, 0, nil)),
		dataEv(1, 1, protocol.S2C, h2Frame(0x4, 0, 0, nil)),
		dataEv(1, 2, protocol.C2S, h2Frame(0x1, 0x4, 1, hpackOf(ce, &cb, ":method", "POST", ":scheme", "https", ":authority", "example.test",
			":path", "/up?x=1&y=%20", "content-type", "text/plain", "cookie", "c=3", "cookie", "d=4"))),
		dataEv(1, 3, protocol.C2S, h2Frame(0x0, 0x8, 1, padded)),
		dataEv(1, 5, protocol.C2S, h2Frame(0x0, 0x1, 1, []byte("world"))),
		dataEv(1, 10, protocol.S2C, h2Frame(0x1, 0x4, 1, hpackOf(se, &sb, ":status", "201", "content-type", "application/json",
			"content-encoding", "gzip", "set-cookie", "k=v; Path=/; HttpOnly", "location", "/up/1"))),
		dataEv(1, 11, protocol.S2C, h2Frame(0x0, 0, 1, []byte(z[:5]))),
		dataEv(1, 12, protocol.S2C, h2Frame(0x0, 0, 1, []byte(z[5:]))),
		dataEv(1, 16, protocol.S2C, h2Frame(0x1, 0x5, 1, hpackOf(se, &sb, "grpc-status", "0"))),
		dataEv(1, 20, protocol.C2S, h2Frame(0x1, 0x5, 3, hpackOf(ce, &cb, ":method", "GET", ":scheme", "http", ":authority", "example.test", ":path", "/gone"))),
		dataEv(1, 21, protocol.S2C, h2Frame(0x3, 0, 3, []byte{0, 0, 0, 7})),
		dataEv(1, 30, protocol.C2S, h2Frame(0x1, 0x5, 5, hpackOf(ce, &cb, ":method", "GET", ":scheme", "http", ":authority", "example.test", ":path", "/slow"))),
		dataEv(1, 31, protocol.S2C, h2Frame(0x1, 0x4, 5, hpackOf(se, &sb, ":status", "200"))),
		dataEv(1, 33, protocol.S2C, h2Frame(0x0, 0, 5, []byte("part"))),
		closeEv(1, 40),
		// A request whose block names a field its table does not have:
		// not decoded; its answer's is.
		openEv(2, 50, "/front.sock", "/up.sock"),
		dataEv(2, 51, protocol.C2S, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"+h2Frame(0x4, 0, 0, nil)),
		dataEv(2, 51, protocol.S2C, h2Frame(0x4, 0, 0, nil)),
		dataEv(2, 52, protocol.C2S, h2Frame(0x1, 0x5, 1, []byte{0xbe})),
		dataEv(2, 53, protocol.S2C, h2Frame(0x1, 0x5, 1, []byte{0x88})),
		closeEv(2, 60),
	})
	type nv struct{ Name, Value string }
	var har struct {
		Log struct {
			Entries []struct {
				Time    float64
				Comment string
				Request struct {
					Method, URL, HTTPVersion string
					Headers, Cookies         []nv
					QueryString              []nv
					PostData                 *struct{ MimeType, Text string }
					BodySize                 int
				}
				Response struct {
					Status                  int
					StatusText, HTTPVersion string
					RedirectURL             string
					Cookies                 []struct {
						Name, Value, Path string
						HTTPOnly          bool
					}
					Content struct {
						Size                    int
						Compression             *int
						MimeType, Text, Comment string
					}
					BodySize int
				}
				Timings struct{ Send, Wait, Receive float64 }
			}
		}
	}
	out := harOf(t, st, Options{}, &har)
	if len(har.Log.Entries) != 4 {
		t.Fatalf("%d entries, want 4:\n%s", len(har.Log.Entries), out)
	}
	post, gone, slow, mid := har.Log.Entries[0], har.Log.Entries[1], har.Log.Entries[2], har.Log.Entries[3]
	if r := post.Request; r.Method != "POST" || r.URL != "https://example.test/up?x=1&y=%20" || r.HTTPVersion != "HTTP/2.0" ||
		len(r.Headers) != 7 || r.Headers[0] != (nv{":method", "POST"}) || len(r.Cookies) != 2 || r.Cookies[1] != (nv{"d", "4"}) ||
		len(r.QueryString) != 2 || r.QueryString[1] != (nv{"y", " "}) ||
		r.PostData == nil || r.PostData.Text != "hello world" || r.PostData.MimeType != "text/plain" || r.BodySize != 11 {
		t.Errorf("the POST's request %+v", r)
	}
	if r := post.Response; r.Status != 201 || r.StatusText != "Created" || r.HTTPVersion != "HTTP/2.0" || r.RedirectURL != "/up/1" ||
		len(r.Cookies) != 1 || !r.Cookies[0].HTTPOnly || r.Content.Text != `{"ok":true}` || r.Content.Size != 11 ||
		r.Content.Compression == nil || *r.Content.Compression != 11-len(z) || r.BodySize != len(z) || r.Content.Comment != "" {
		t.Errorf("the POST's response %+v", r)
	}
	// Sent from 2 to 5 ms, answered at 10, received up to its trailers
	// at 16 (which are not its body).
	if tm := post.Timings; tm.Send != 3 || tm.Wait != 5 || tm.Receive != 6 || post.Time != 14 {
		t.Errorf("the POST's timings %+v, time %v", tm, post.Time)
	}
	if r := gone.Response; gone.Request.URL != "http://example.test/gone" || r.Status != 0 || r.StatusText != "RST_STREAM REFUSED_STREAM" ||
		r.HTTPVersion != "HTTP/2.0" || r.Content.Text != "" || gone.Timings.Wait != 1 || gone.Time != 1 {
		t.Errorf("the refused request: %+v, timings %+v", r, gone.Timings)
	}
	if r := slow.Response; r.Status != 200 || r.Content.Text != "part" || !strings.Contains(r.Content.Comment, "the stream did not end") {
		t.Errorf("the unended answer: %+v", r)
	}
	if mid.Request.HTTPVersion != "sockscope" || mid.Response.Status != 200 || mid.Response.HTTPVersion != "HTTP/2.0" ||
		!strings.HasPrefix(mid.Comment, "the c2s header block was not decoded: hpack: ") {
		t.Errorf("the block not decoded: %+v", mid)
	}
}
