package protocol

import (
	"strings"
	"testing"
)

// A request's view, written back, is the request: what a user does not
// change goes out as it came.
func TestEncodeViewRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		f     Framing
		frame string
	}{
		{FramingRESP, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n"},
		{FramingRESP, "*2\r\n$3\r\nGET\r\n$4\r\n\xff\xfe\x00k\r\n"}, // not UTF-8: {"b64":…}
		{FramingRESP, "*1\r\n$0\r\n\r\n"},
		{FramingHTTP, "GET /containers/json?all=1 HTTP/1.1\r\nHost: docker\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"},
		{FramingHTTP, "POST /v1/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":[1,2.5]}"},
		{FramingHTTP, "PUT /f HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 5\r\n\r\nhello"},
		{FramingMsgpack, "\x94\x00\x01\xa9nvim_eval\x91\xa41+41"},
		{FramingMsgpack, "\x93\x02\xaanvim_input\x92\xc4\x02\x00\x01\xd4\x00\x02"},                                        // bin and an ext (a handle)
		{FramingMsgpack, "\x93\x02\xd9\x28" + strings.Repeat("m", 40) + "\x91\xc5\x01\x2c" + strings.Repeat("\xff", 300)}, // str 8, bin 16
		{FramingMsgpack, "\x93\x02\xa1m\x91\xc7\x03\x05abc"},                                                              // ext 8
		{FramingMsgpack, "\x94\x00\xcd\x01\x00\xa3any\x94\xff\xd0\x80\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xc3"},
	} {
		view, err := AppendView(nil, tc.f, &Frame{Data: []byte(tc.frame)})
		if err != nil {
			t.Fatalf("%s %q: no view: %v", tc.f, tc.frame, err)
		}
		got, err := EncodeView(tc.f, view)
		if err != nil {
			t.Errorf("%s %s: %v", tc.f, view, err)
			continue
		}
		if string(got) != tc.frame {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.f, view, got, tc.frame)
		}
	}
}

// What a user edits is written as the protocol needs it: a body's length
// counted again, a chunked body sent whole, a header added where there
// was none; numbers as Redis words.
func TestEncodeViewEdited(t *testing.T) {
	for _, tc := range []struct {
		f          Framing
		view, want string
	}{
		{FramingRESP, `["INCRBY","n",12]`, "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$2\r\n12\r\n"},
		{FramingHTTP, `{"start":"POST /x HTTP/1.1","headers":{"Host":"h","Content-Length":"3"},"body":"longer"}`,
			"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nlonger"},
		{FramingHTTP, `{"start":"POST /x HTTP/1.1","headers":{"Host":"h","Transfer-Encoding":"chunked"},"body":{"k": [1, "v"]}}`,
			"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 13\r\n\r\n{\"k\":[1,\"v\"]}"},
		{FramingHTTP, `{"start":"DELETE /c/1 HTTP/1.1","headers":{"Host":"h"}}`, "DELETE /c/1 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{FramingMsgpack, `[0, 7, "nvim_buf_get_lines", [{"ext":0,"data":1}, 0, -1, false]]`,
			"\x94\x00\x07\xb2nvim_buf_get_lines\x94\xd4\x00\x01\x00\xff\xc2"},
	} {
		got, err := EncodeView(tc.f, []byte(tc.view))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s %s:\n got %q, %v\nwant %q", tc.f, tc.view, got, err, tc.want)
		}
	}
}

// A view no frame has is refused, saying why.
func TestEncodeViewRefused(t *testing.T) {
	for _, tc := range []struct {
		f          Framing
		view, want string
	}{
		{FramingRESP, `[]`, "non-empty array"},
		{FramingRESP, `{"GET":"k"}`, "non-empty array"},
		{FramingRESP, `["GET",["k"]]`, "word 2"},
		{FramingRESP, `["GET",`, "invalid JSON"},
		{FramingHTTP, `{"start":"GET /"}`, "request line"},
		{FramingHTTP, `{"start":"GET / HTTP/1.1\r\nX: y"}`, "request line"},
		{FramingHTTP, `{"start":"GET / HTTP/1.1","headers":{"X":"a\r\nY: b"}}`, `header "X"`},
		{FramingHTTP, `{"start":"GET / HTTP/1.1","headers":{"bad name":"a"}}`, "not a token"},
		{FramingHTTP, `{"start":"GET / HTTP/1.1","path":"/"}`, `unknown member "path"`},
		{FramingHTTP, `{"start":"GET / HTTP/1.1","trailers":{}}`, "chunked"},
		{FramingMsgpack, `[0,1]`, "msgpack-RPC message"},
		{FramingMsgpack, `[0,1,"m"]`, "msgpack-RPC message"},
		{FramingMsgpack, `[2,"m",[],1]`, "msgpack-RPC message"},
		{FramingMsgpack, `[0,1,"m",[{"ext":300,"data":1}]]`, "ext"},
		{FramingHTTP2, `{}`, "does not write http2"},
	} {
		_, err := EncodeView(tc.f, []byte(tc.view))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want an error saying %q", tc.f, tc.view, err, tc.want)
		}
	}
}
