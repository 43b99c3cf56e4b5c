package protocol

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// h2Enc encodes header blocks as one peer's HPACK encoder does: with its
// dynamic table, Huffman-coded strings, as curl and nginx send them.
type h2Enc struct {
	buf bytes.Buffer
	enc *hpack.Encoder
}

func newH2Enc() *h2Enc {
	e := &h2Enc{}
	e.enc = hpack.NewEncoder(&e.buf)
	return e
}

// block encodes fields, "name: value" each.
func (e *h2Enc) block(fields ...string) string {
	e.buf.Reset()
	for _, f := range fields {
		name, value, _ := strings.Cut(f[1:], ":") // a pseudo-header's name starts with ':'
		name = f[:1] + name
		e.enc.WriteField(hpack.HeaderField{Name: name, Value: strings.TrimPrefix(value, " ")})
	}
	return e.buf.String()
}

// h2Msg is a message as the HPACK tests compare it: its Info, by the
// framer (Frame.Whole) or the classifier, and its decoded fields.
type h2Msg struct{ info, fields string }

// h2Run feeds chunks to a framer of direction dir (made by
// NewFramerPair, as an observer's is, with maxFrame) and returns each
// message's Info and fields.
func h2Run(t *testing.T, dir Dir, maxFrame int, f Framer, chunks ...[]byte) []h2Msg {
	t.Helper()
	if f == nil {
		f = NewFramerPair(FramingHTTP2, maxFrame, DefaultIDFields...)[dir]
	}
	var out []h2Msg
	emit := func(fr *Frame) {
		var info Info
		if fr.Whole != nil {
			info = *fr.Whole
		} else {
			info = ClassifyAs(FramingHTTP2, fr.Data, dir, nil)
		}
		if fr.Err != "" && !CutShort(FramingHTTP2, fr.Err, info.Kind) {
			info.SetRaw(fr.Err)
		}
		m := h2Msg{info: fmt.Sprintf("%s %s %s", info.Kind, info.Method, info.ID)}
		if info.IsError {
			m.info += " error"
		}
		if info.Err != "" {
			m.info += " (" + info.Err + ")"
		}
		if b, ok := ParseH2Block(fr.Fields); ok {
			if b.Err != "" {
				m.fields = b.Err
			}
			for _, h := range b.Fields {
				m.fields += string(h.Name) + "=" + string(h.Value) + ";"
			}
		}
		out = append(out, m)
	}
	for _, c := range chunks {
		f.Feed(bytes.Clone(c), emit)
	}
	return out
}

func h2Infos(ms []h2Msg) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.info)
	}
	return strings.Join(s, "|")
}

// A client's requests and a server's responses, their header blocks
// encoded against the dynamic table as curl's and nginx's are: each
// request is named by its method and path, each response by its
// :status, from the second on read from the table; the fields decoded
// are the message's, however the bytes are cut and whatever the cap.
func TestHTTP2HPACK(t *testing.T) {
	c := newH2Enc()
	client := h2Preface + h2(h2Settings, 0, 0, "") +
		h2(h2Headers, 0x5, 1, c.block(":method: GET", ":scheme: http", ":authority: example.org", ":path: /json", "user-agent: curl/8", "accept: */*")) +
		h2(h2Headers, 0x5, 3, c.block(":method: GET", ":scheme: http", ":authority: example.org", ":path: /fail", "user-agent: curl/8", "accept: */*")) +
		h2(h2Headers, 0x4, 5, c.block(":method: POST", ":scheme: http", ":authority: example.org", ":path: /up", "content-type: text/plain")) +
		h2(h2Data, 0x1, 5, "hi") +
		h2(h2Headers, 0x5, 7, c.block(":method: CONNECT", ":authority: example.org:443"))
	want := "notification PREFACE |notification SETTINGS |request GET /json 1|request GET /fail 3|request POST /up 5|notification DATA 5|request CONNECT example.org:443 7"
	wantFields := ":method=GET;:scheme=http;:authority=example.org;:path=/fail;user-agent=curl/8;accept=*/*;"
	for _, max := range []int{DefaultMaxFrame, 30} {
		for _, way := range splits([]byte(client)) {
			got := h2Run(t, C2S, max, nil, way...)
			if g := h2Infos(got); g != want {
				t.Fatalf("max %d, %d chunks:\n%s\nwant\n%s", max, len(way), g, want)
			}
			if got[3].fields != wantFields {
				t.Fatalf("max %d, %d chunks: the second request's fields %q, want %q", max, len(way), got[3].fields, wantFields)
			}
			if got[0].fields != "" || got[5].fields != "" {
				t.Fatalf("fields for a frame that is no header block: %q", got)
			}
		}
	}

	s := newH2Enc()
	server := h2(h2Settings, 0, 0, "\x00\x03\x00\x00\x00\x80") +
		h2(h2Headers, 0x4, 1, s.block(":status: 200", "server: nginx", "content-type: application/json")) +
		h2(h2Headers, 0x4, 3, s.block(":status: 503", "server: nginx")) +
		h2(h2Headers, 0x4, 5, s.block(":status: 503", "server: nginx")) + // the table's 503
		h2(h2Headers, 0x4, 7, s.block(":status: 103", "link: </s.css>")) +
		h2(h2Headers, 0x5, 7, s.block("grpc-status: 0"))
	got := h2Run(t, S2C, 0, nil, []byte(server))
	if g, want := h2Infos(got), "notification SETTINGS |response 200 1|response 503 3 error|response 503 5 error|notification 103 7|notification TRAILERS 7"; g != want {
		t.Errorf("server:\n%s\nwant\n%s", g, want)
	}
	if got[3].fields != ":status=503;server=nginx;" {
		t.Errorf("fields from the table: %q", got[3].fields)
	}
}

// A header block is kept whole whatever the frame cap (up to MaxH2Block),
// so that a recording of it decodes again, as show decodes it (H2Blocks),
// to the fields the live framer decoded, this block and every later one;
// a DATA frame over the cap is still kept cut.
func TestHTTP2BlocksKeptWhole(t *testing.T) {
	c := newH2Enc()
	first := h2(h2Headers, 0x5, 1, c.block(":method: GET", ":scheme: http", ":authority: example.org", ":path: /first", "cookie: "+strings.Repeat("c", 80)))
	block := c.block(":method: GET", ":scheme: http", ":authority: example.org", ":path: /second", "cookie: "+strings.Repeat("c", 80))
	second := h2(h2Headers, 0x1, 3, block[:3]) + h2(h2Continuation, 0x4, 3, block[3:])
	in := h2Preface + h2(h2Settings, 0, 0, "") + first + h2(h2Data, 0x1, 1, strings.Repeat("d", 100)) + second
	const max = 16
	for _, way := range splits([]byte(in)) {
		var live [][]byte
		blocks := NewH2Blocks(C2S)
		f := NewFramerPair(FramingHTTP2, max, DefaultIDFields...)[C2S]
		for _, chunk := range way {
			f.Feed(bytes.Clone(chunk), func(fr *Frame) {
				m := Message{Dir: C2S, Frame: *fr}
				m.Frame.Data = bytes.Clone(fr.Data)
				switch {
				case fr.Fields != nil:
					if fr.Truncated || len(fr.Data) != fr.Size {
						t.Fatalf("%d chunks: a header block kept cut: %d of %d bytes", len(way), len(fr.Data), fr.Size)
					}
					if got := blocks.Decode(&m, H2Decoded(fr.Fields)); !bytes.Equal(got, fr.Fields) {
						t.Fatalf("%d chunks: decoded again %q, live %q", len(way), got, fr.Fields)
					}
					live = append(live, m.Frame.Data)
				case len(fr.Data) > max || fr.Size > max && !fr.Truncated:
					t.Fatalf("%d chunks: a frame that is no header block kept %d of %d bytes", len(way), len(fr.Data), fr.Size)
				}
			})
		}
		if len(live) != 2 || string(live[0]) != first || string(live[1]) != second {
			t.Fatalf("%d chunks: header blocks %q", len(way), live)
		}
	}
}

// A header block split across HEADERS and CONTINUATION frames is one
// message, its frames as on the wire, decoded as one block; a frame
// other than its CONTINUATION in the middle of it makes the rest raw,
// with why.
func TestHTTP2Continuation(t *testing.T) {
	c := newH2Enc()
	block := c.block(":method: GET", ":scheme: http", ":authority: example.org", ":path: /a/long/path", "user-agent: curl/8")
	headers := h2(h2Headers, 0x1|0x8, 1, "\x02"+block[:5]+"\x00\x00") // END_STREAM, PADDED
	cont1 := h2(h2Continuation, 0, 1, block[5:9])
	cont2 := h2(h2Continuation, 0x4, 1, block[9:])
	next := h2(h2Headers, 0x5, 3, c.block(":method: GET", ":scheme: http", ":authority: example.org", ":path: /a/long/path"))
	in := h2Preface + headers + cont1 + cont2 + next
	frames := checkChunking(t, FramingHTTP2, 1000, in)
	if len(frames) != 3 || frames[1].Data != headers+cont1+cont2 || frames[1].Wire != len(headers+cont1+cont2) {
		t.Fatalf("frames %v", frames)
	}
	for _, way := range splits([]byte(in)) {
		got := h2Run(t, C2S, 0, nil, way...)
		if g, want := h2Infos(got), "notification PREFACE |request GET /a/long/path 1|request GET /a/long/path 3"; g != want {
			t.Fatalf("%d chunks: %s\nwant %s", len(way), g, want)
		}
		if want := ":method=GET;:scheme=http;:authority=example.org;:path=/a/long/path;user-agent=curl/8;"; got[1].fields != want {
			t.Fatalf("fields %q, want %q", got[1].fields, want)
		}
	}
	// The view: the first frame's header, how many frames went on.
	v, err := viewH2Block(nil, []byte(headers+cont1+cont2), []byte("d\x07:method\x03GET"))
	if want := `{"type":"HEADERS","stream":1,"flags":["END_STREAM","PADDED"],"length":8,"continuations":2,"headers":{":method":"GET"}}`; err != nil || string(v) != want {
		t.Errorf("view %s %v\nwant %s", v, err, want)
	}
	// Not decoded (no decoder): the whole block's static fields and hex.
	v, _ = viewHTTP2(nil, []byte(headers+cont1+cont2))
	if !strings.Contains(string(v), `"hpack":"not decoded","block":"`) || !strings.Contains(string(v), fmt.Sprintf("%x", block)) {
		t.Errorf("view without a decoder: %s", v)
	}

	// A DATA frame where the CONTINUATION must come.
	bad := h2Preface + headers + h2(h2Data, 0, 1, "x") + cont2
	got := run(t, NewFramer(FramingHTTP2, 1000, DefaultIDFields...), 1000, true, []byte(bad))
	if len(got) != 2 || got[1].Data != headers+h2(h2Data, 0, 1, "x")+cont2 ||
		got[1].Err != "http2: a DATA frame on stream 1 where the header block of stream 1 goes on (only its CONTINUATION may come: PROTOCOL_ERROR); raw from here" {
		t.Errorf("frames %v", got)
	}
}

// A header block a gap went through is not decoded, nor is any block
// after it in that direction (the table is lost), each saying why; the
// frames are still framed and classified by what the static table
// says. A gap in a DATA frame loses nothing: the blocks after it decode.
func TestHTTP2HPACKGap(t *testing.T) {
	c := newH2Enc()
	req := func(stream uint32, path string) string {
		return h2(h2Headers, 0x5, stream, c.block(":method: GET", ":scheme: http", ":path: "+path, "x-long: "+strings.Repeat(path, 10)))
	}
	first, second := req(1, "/one"), req(3, "/two")
	data := h2(h2Data, 0, 3, strings.Repeat("d", 50))

	// The gap in DATA.
	f := NewFramerPair(FramingHTTP2, 0, DefaultIDFields...)[C2S]
	got := h2Run(t, C2S, 0, f, []byte(h2Preface+first+data[:20]))
	if !SkipGap(f, 20, func(*Frame) {}) {
		t.Fatal("the gap in DATA was not taken")
	}
	got = append(got, h2Run(t, C2S, 0, f, []byte(data[40:]+second))...)
	if g, want := h2Infos(got), "notification PREFACE |request GET /one 1|notification DATA 3|request GET /two 3"; g != want || got[3].fields == "" || strings.Contains(got[3].fields, "not decoded") {
		t.Fatalf("after a gap in DATA: %s %q, want %s decoded", g, got, want)
	}

	// The gap in a header block: its path is Huffman-coded; the next
	// block's is the table's.
	f = NewFramerPair(FramingHTTP2, 0, DefaultIDFields...)[C2S]
	c = newH2Enc()
	first, second, third := req(1, "/one"), req(3, "/two"), req(5, "/two")
	got = h2Run(t, C2S, 0, f, []byte(h2Preface+first+second[:15]))
	var gapped []h2Msg
	if !SkipGap(f, 10, func(fr *Frame) { t.Fatal("emitted at the gap") }) {
		t.Fatal("the gap in HEADERS was not taken")
	}
	gapped = h2Run(t, C2S, 0, f, []byte(second[25:]+third))
	got = append(got, gapped...)
	if g, want := h2Infos(got), "notification PREFACE |request GET /one 1|request GET 3|request GET 5"; g != want {
		t.Fatalf("after a gap in HEADERS:\n%s\nwant\n%s", g, want)
	}
	if got[2].fields != "not decoded: bytes of it were not seen (a gap)" ||
		got[3].fields != "not decoded: an earlier header block did not decode (bytes of it were not seen (a gap)): HPACK's table is not known" {
		t.Errorf("why not decoded: %q, %q", got[2].fields, got[3].fields)
	}

	// Bytes that are not HPACK (an index past the tables).
	f = NewFramerPair(FramingHTTP2, 0, DefaultIDFields...)[S2C]
	got = h2Run(t, S2C, 0, f, []byte(h2(h2Settings, 0, 0, "")+h2(h2Headers, 0x4, 1, "\xff\x7f")+h2(h2Headers, 0x4, 3, "\x88")))
	if g, want := h2Infos(got), "notification SETTINGS |response HEADERS 1|response 200 3"; g != want ||
		!strings.HasPrefix(got[1].fields, "not decoded: hpack: ") || !strings.Contains(got[2].fields, "HPACK's table is not known") {
		t.Errorf("not HPACK: %s %q", g, got)
	}
}

// A decoder that did not see its direction's start does not decode: the
// table is not known.
func TestHTTP2HPACKMidStream(t *testing.T) {
	got := h2Run(t, S2C, 0, nil, []byte(h2(h2Headers, 0x4, 1, "\x88")))
	if len(got) != 1 || got[0].info != "response 200 1" || got[0].fields != "not decoded: the server's first frames were not seen: HPACK's table is not known" {
		t.Errorf("%q", got)
	}
	got = h2Run(t, C2S, 0, nil, []byte(h2(h2Headers, 0x5, 1, "\x82\x84")))
	if len(got) != 1 || got[0].info != "request GET / 1" || !strings.Contains(got[0].fields, "the client's preface was not seen") {
		t.Errorf("%q", got)
	}
}

// An HTTP/1.1 request with Upgrade: h2c, answered 101, switches its
// connection to HTTP/2: the server's stream after the 101, the client's
// from its preface (whenever the 101 is seen), however the bytes are cut;
// the first frame of HTTP/2 carries its Info. The response on stream 1
// answers the upgrade's request, which its 101 answered: a notification.
func TestHTTP2Upgrade(t *testing.T) {
	c, s := newH2Enc(), newH2Enc()
	client := "GET /a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n" +
		h2Preface + h2(h2Settings, 0, 0, "") + h2(h2Headers, 0x5, 3, c.block(":method: GET", ":scheme: http", ":authority: x", ":path: /b"))
	server := "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" +
		h2(h2Settings, 0, 0, "") + h2(h2Headers, 0x4, 1, s.block(":status: 200", "content-type: text/plain")) + h2(h2Data, 0x1, 1, "a") +
		h2(h2Headers, 0x5, 3, s.block(":status: 404"))
	for _, tc := range []struct {
		dir  Dir
		in   string
		want string
	}{
		{C2S, client, "request GET /a |notification PREFACE |notification SETTINGS |request GET /b 3"},
		{S2C, server, "response 101 Switching Protocols |notification SETTINGS |notification 200 1|notification DATA 1|response 404 3 error"},
	} {
		for _, way := range splits([]byte(tc.in)) {
			pair := NewFramerPair(FramingAuto, 0, DefaultIDFields...)
			var got []string
			emit := func(fr *Frame) {
				f := pair[tc.dir].Framing()
				var info Info
				if fr.Whole != nil {
					info = *fr.Whole
				} else {
					info = ClassifyAs(f, fr.Data, tc.dir, nil)
				}
				got = append(got, fmt.Sprintf("%s %s %s", info.Kind, info.Method, info.ID))
				if info.IsError {
					got[len(got)-1] += " error"
				}
				if (f == FramingHTTP2) != (len(got) > 1) || fr.Err != "" {
					t.Fatalf("%v frame %d: %v %q", tc.dir, len(got), f, fr.Err)
				}
				if len(got) == 2 && fr.Whole == nil {
					t.Fatalf("%v: the first frame of HTTP/2 without its Info", tc.dir)
				}
			}
			for _, c := range way {
				pair[tc.dir].Feed(bytes.Clone(c), emit)
			}
			if g := strings.Join(got, "|"); g != tc.want {
				t.Fatalf("%v in %d chunks:\n%s\nwant\n%s", tc.dir, len(way), g, tc.want)
			}
		}
	}
}

// A snapshot of H2Blocks, taken after any block, goes on as the decoding
// it was taken from: the same fields for every later block, through
// size updates that evict, entries that fill the table, and a table lost.
func TestH2BlocksSnapshot(t *testing.T) {
	c := newH2Enc()
	var msgs []Message
	for i := range 300 {
		switch i {
		case 40:
			c.enc.SetMaxDynamicTableSize(256)
		case 80: // larger than the table's first size
			c.enc.SetMaxDynamicTableSizeLimit(16384)
			c.enc.SetMaxDynamicTableSize(16384)
		}
		fields := []string{":method: GET", ":scheme: http", ":authority: example.org", fmt.Sprintf(":path: /item/%d", i), fmt.Sprintf("x-kind: %d", i%7)}
		if i%10 == 3 {
			fields = append(fields, "x-pad: "+strings.Repeat(fmt.Sprint(i), 300))
		}
		data := h2(h2Headers, 0x5, uint32(2*i+1), c.block(fields...))
		if i == 250 {
			data = data[:len(data)-3] // kept only its start: the table is lost from here
		}
		msgs = append(msgs, Message{Dir: C2S, Frame: Frame{Data: []byte(data), Truncated: i == 250}})
	}
	whole := NewH2Blocks(C2S)
	var want [][]byte
	for i := range msgs {
		want = append(want, whole.Decode(&msgs[i], true))
	}
	if !H2Decoded(want[249]) || H2Decoded(want[250]) || H2Decoded(want[299]) {
		t.Fatalf("blocks 249, 250, 299: %q %q %q", want[249], want[250], want[299])
	}
	for _, at := range []int{0, 1, 39, 40, 41, 79, 80, 123, 249, 250, 280} {
		b := NewH2Blocks(C2S)
		for i := range at {
			b.Decode(&msgs[i], true)
		}
		snap := b.Snapshot()
		r, ok := H2BlocksAt(C2S, snap)
		if !ok {
			t.Fatalf("after %d blocks: snapshot %q does not restore", at, snap)
		}
		for i := at; i < len(msgs); i++ {
			if got := r.Decode(&msgs[i], true); !bytes.Equal(got, want[i]) {
				t.Fatalf("snapshot after %d blocks: block %d %q, want %q", at, i, got, want[i])
			}
		}
	}
	for _, bad := range []string{"", "x", "t", "t\x80\x80\x80\x80\x10", "t\x00\x01\x01a"} {
		if _, ok := H2BlocksAt(C2S, []byte(bad)); ok {
			t.Errorf("snapshot %q restored", bad)
		}
	}
}
