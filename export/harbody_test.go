package export

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"sockscope/event"
	"sockscope/protocol"
)

// HAR's content is the body as the client has it once decoded: a gzip or
// deflate (zlib or raw) body is decoded, its size the decoded length, its
// compression the bytes the coding saved, its bodySize still the bytes on
// the wire (chunked framing and all); a binary one decoded is base64. A
// body that does not decode (corrupt, a coding sockscope does not know,
// more than maxDecoded once decoded) stays as it came, and its comment
// says why. A request's gzip body is decoded too.
func TestHARDecodesBodies(t *testing.T) {
	text := strings.Repeat("all work and no play makes jack a dull boy\n", 4700)[:200_001]
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		w := gzip.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	zl := func(b []byte) []byte {
		var out bytes.Buffer
		w := zlib.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	raw := func(b []byte) []byte {
		var out bytes.Buffer
		w, _ := flate.NewWriter(&out, flate.DefaultCompression)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	chunked := func(b []byte) string {
		var s strings.Builder
		for len(b) > 0 {
			n := min(len(b), 300)
			fmt.Fprintf(&s, "%x\r\n%s\r\n", n, b[:n])
			b = b[n:]
		}
		return s.String() + "0\r\n\r\n"
	}
	binary := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
	big := make([]byte, maxDecoded+1)
	type want struct {
		size, bodySize int
		compression    int // -1: none
		text, encoding string
		comment        string // contained in the comment ("" for none)
	}
	gzText, zlText, rawText, gzBig := gz([]byte(text)), zl([]byte(text)), raw([]byte(text)), gz(big)
	bodyChunked := chunked(gzText)
	cases := []struct {
		name, resp string
		want       want
	}{
		{"gzip, chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + bodyChunked,
			want{200_001, len(bodyChunked), 200_001 - len(gzText), text, "", ""}},
		{"deflate (zlib)", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s", len(zlText), zlText),
			want{200_001, len(zlText), 200_001 - len(zlText), text, "", ""}},
		{"deflate (raw)", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: Deflate\r\nContent-Length: %d\r\n\r\n%s", len(rawText), rawText),
			want{200_001, len(rawText), 200_001 - len(rawText), text, "", ""}},
		{"gzip twice", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip, x-gzip\r\nContent-Length: %d\r\n\r\n%s", len(gz(gz(binary))), gz(gz(binary))),
			want{len(binary), len(gz(gz(binary))), len(binary) - len(gz(gz(binary))), base64.StdEncoding.EncodeToString(binary), "base64", ""}},
		{"corrupt", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 16\r\n\r\nthis is no gzip!",
			want{16, 16, -1, "this is no gzip!", "", "not decoded (Content-Encoding: gzip): gzip: invalid header; the body as sent"}},
		{"short", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
			want{5, 5, -1, "hello", "", "not decoded (Content-Encoding: gzip): gzip: unexpected EOF; the body as sent"}},
		{"cut short", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(gzText)-10, gzText[:len(gzText)-10]),
			want{len(gzText) - 10, len(gzText) - 10, -1, base64.StdEncoding.EncodeToString(gzText[:len(gzText)-10]), "base64", "gzip: unexpected EOF"}},
		{"br", "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc",
			want{3, 3, -1, "abc", "", "br is not a coding sockscope decodes"}},
		{"a bomb", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(gzBig), gzBig),
			want{len(gzBig), len(gzBig), -1, base64.StdEncoding.EncodeToString(gzBig), "base64", "more than 32 MiB"}},
		{"identity", "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc",
			want{3, 3, -1, "abc", "", ""}},
	}
	evs := []event.Event{openEv(1, 0, "/front.sock", "/up.sock")}
	ms := 1
	for _, c := range cases {
		evs = append(evs,
			event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(ms), Data: []byte("GET /" + strings.ReplaceAll(c.name, " ", "-") + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n\r\n")},
			event.Event{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at(ms + 1), Data: []byte(c.resp)})
		ms += 2
	}
	gzPost := gz([]byte(`{"a":1}`))
	evs = append(evs,
		event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(ms), Data: []byte(fmt.Sprintf("POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(gzPost), gzPost))},
		dataEv(1, ms+1, protocol.S2C, "HTTP/1.1 204 No Content\r\n\r\n"),
		closeEv(1, ms+2))
	var har struct {
		Log struct {
			Entries []struct {
				Request struct {
					URL      string
					BodySize int
					PostData *struct{ MimeType, Text, Comment string }
				}
				Response struct {
					Content struct {
						Size                    int
						Compression             *int
						Text, Encoding, Comment string
					}
					BodySize int
				}
			}
		}
	}
	harOf(t, observed(t, evs), Options{}, &har)
	if len(har.Log.Entries) != len(cases)+1 {
		t.Fatalf("%d entries, want %d", len(har.Log.Entries), len(cases)+1)
	}
	for i, c := range cases {
		r := har.Log.Entries[i].Response
		got := want{r.Content.Size, r.BodySize, -1, r.Content.Text, r.Content.Encoding, r.Content.Comment}
		if r.Content.Compression != nil {
			got.compression = *r.Content.Compression
		}
		if got.size != c.want.size || got.bodySize != c.want.bodySize || got.compression != c.want.compression ||
			got.text != c.want.text || got.encoding != c.want.encoding || (c.want.comment == "") != (got.comment == "") || !strings.Contains(got.comment, c.want.comment) {
			short := func(w want) want { w.text = w.text[:min(len(w.text), 40)]; return w }
			t.Errorf("%s: content %+v\nwant %+v", c.name, short(got), short(c.want))
		}
	}
	if p := har.Log.Entries[len(cases)].Request.PostData; p == nil || p.Text != `{"a":1}` || p.Comment != "" {
		t.Errorf("a gzip request body: postData %+v, want it decoded", p)
	}
}

// A gzip body of a frame kept truncated (over --max-frame) is cut short:
// not decoded, and the comment says why; its bodySize is unknown (-1).
func TestHARTruncatedGzip(t *testing.T) {
	var gzBody bytes.Buffer
	w := gzip.NewWriter(&gzBody)
	w.Write([]byte(strings.Repeat("abcdefghij", 10_000)))
	w.Close()
	st := observedWith(t, 200, []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		dataEv(1, 1, protocol.C2S, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at(2), Data: []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", gzBody.Len(), gzBody.Bytes()))},
		closeEv(1, 3),
	})
	var har struct {
		Log struct {
			Entries []struct {
				Response struct {
					Content  struct{ Comment string }
					BodySize int
				}
			}
		}
	}
	if out := harOf(t, st, Options{}, &har); len(har.Log.Entries) != 1 {
		t.Fatalf("entries:\n%s", out)
	}
	if r := har.Log.Entries[0].Response; !strings.Contains(r.Content.Comment, "the frame was kept truncated") || r.BodySize != -1 {
		t.Errorf("response %+v, want a comment that it was kept truncated", r)
	}
}

// A plain body of a frame kept truncated (over --max-frame: a 20 MB
// download from nginx) says it is cut short, as an encoded one does; it
// said nothing, its content a fraction of the body with no word why.
func TestHARTruncatedBody(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	st := observedWith(t, 200, []event.Event{
		openEv(1, 0, "/front.sock", "/up.sock"),
		{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: at(1), Data: []byte(fmt.Sprintf("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body))},
		{Type: event.Data, Conn: 1, Dir: protocol.S2C, At: at(2), Data: []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body))},
		closeEv(1, 3),
	})
	var har struct {
		Log struct {
			Entries []struct {
				Request struct {
					PostData struct{ Text, Comment string }
				}
				Response struct {
					Content struct {
						Text, Comment string
					}
				}
			}
		}
	}
	if out := harOf(t, st, Options{}, &har); len(har.Log.Entries) != 1 {
		t.Fatalf("entries:\n%s", out)
	}
	e := har.Log.Entries[0]
	if c := e.Response.Content; !strings.HasPrefix(body, c.Text) || len(c.Text) >= len(body) ||
		!strings.Contains(c.Comment, "the frame was kept truncated") || !strings.Contains(c.Comment, "200 of the message's 1041 bytes kept") {
		t.Errorf("response content %+v, want a comment that it was kept truncated", c)
	}
	if p := e.Request.PostData; !strings.HasPrefix(body, p.Text) || !strings.Contains(p.Comment, "the frame was kept truncated") {
		t.Errorf("request postData %+v, want a comment that it was kept truncated", p)
	}
}
