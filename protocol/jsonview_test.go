package protocol

import "testing"

func TestViewOf(t *testing.T) {
	get := []byte("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
	for _, c := range []struct {
		m    Message
		want string // "" when there is no view
	}{
		{Message{Framing: FramingRESP, Frame: Frame{Data: get}}, `["GET","key"]`},
		// An inline command's arguments, quoted as Redis reads them.
		{Message{Framing: FramingRESP, Frame: Frame{Data: []byte(`SET  x  "a b\x41\n" 'it\'s'` + "\r\n")}}, `["SET","x","a bA\n","it's"]`},
		{Message{Framing: FramingRESP, Frame: Frame{Data: []byte(`SET x "open` + "\r\n")}}, `["SET","x","\"open"]`}, // unbalanced: by spaces
		{Message{Framing: FramingMsgpack, Frame: Frame{Data: []byte("\x94\x01\x01\xc0\x2a")}}, `[1,1,null,42]`},
		{Message{Framing: FramingHTTP, Frame: Frame{Data: []byte("HTTP/1.1 204 No Content\r\n\r\n")}}, `{"start":"HTTP/1.1 204 No Content","headers":{}}`},
		// A header sent twice is the array of its values; a chunked body's trailer is shown.
		{Message{Framing: FramingHTTP, Frame: Frame{Data: []byte("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nTransfer-Encoding: chunked\r\nset-cookie: b=2\r\nTrailer: X-T\r\n\r\n" +
			"2\r\nhi\r\n0\r\nX-T: done\r\n\r\n")}},
			`{"start":"HTTP/1.1 200 OK","headers":{"Set-Cookie":["a=1","b=2"],"Transfer-Encoding":"chunked","Trailer":"X-T"},"body":"hi","trailers":{"X-T":"done"}}`},
		// <, > and & as they are, not as HTML escapes (a Redis value "<a&b>" showed as "\u003ca\u0026b\u003e").
		{Message{Framing: FramingRESP, Frame: Frame{Data: []byte("$5\r\n<a&b>\r\n")}}, `"<a&b>"`},
		{Message{Framing: FramingMsgpack, Frame: Frame{Data: []byte("\x94\x01\x01\xc0\xa3<b>")}}, `[1,1,null,"<b>"]`},
		{Message{Framing: FramingHTTP, Frame: Frame{Data: []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-<&>: a&b\r\nContent-Length: 11\r\n\r\n<p>a&b</p>\n")}},
			`{"start":"HTTP/1.1 200 OK","headers":{"Content-Type":"text/html","X-<&>":"a&b","Content-Length":"11"},"body":"<p>a&b</p>\n"}`},
		{Message{Framing: FramingLines, Frame: Frame{Data: []byte(`{"id":1}`)}}, ""},               // JSON already
		{Message{Framing: FramingRESP, Frame: Frame{Data: get[:10], Truncated: true}}, ""},         // truncated
		{Message{Framing: FramingRESP, Frame: Frame{Data: get}, Info: Info{Err: "resp: bad"}}, ""}, // fell back to raw
		{Message{Framing: FramingMsgpack, Frame: Frame{Data: []byte("\x94\x01")}}, ""},             // does not decode
	} {
		v, ok := ViewOf([]byte("x"), &c.m)
		if c.want == "" {
			if ok || string(v) != "x" {
				t.Errorf("%q: view %q, %v; want none", c.m.Frame.Data, v, ok)
			}
			continue
		}
		if !ok || string(v) != "x"+c.want {
			t.Errorf("%q: view %q, %v; want %s", c.m.Frame.Data, v, ok, c.want)
		}
	}
}

func TestStatusCode(t *testing.T) {
	for _, c := range []struct {
		f      Framing
		kind   Kind
		method string
		want   int
	}{
		{FramingHTTP, KindResponse, "404 Not Found", 404},
		{FramingHTTP, KindResponse, "200", 200},
		{FramingHTTP, KindResponse, "2000 x", 0},
		{FramingHTTP, KindRequest, "GET /", 0},
		{FramingLines, KindResponse, "404 Not Found", 0},
	} {
		m := Message{Framing: c.f, Info: Info{Kind: c.kind, Method: []byte(c.method)}}
		if got := StatusCode(&m); got != c.want {
			t.Errorf("%v %v %q: %d, want %d", c.f, c.kind, c.method, got, c.want)
		}
	}
}
