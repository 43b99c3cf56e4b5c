package observe

import (
	"fmt"
	"strings"
	"testing"

	"sockscope/protocol"
	"sockscope/store"
)

// A relay forwards a read first and reports it to the observer after, each
// direction on its own, so on a busy machine a server's answer can reach
// the observer before the request it answers, its time still the time it
// was read. Each protocol's pairing takes it so: fed the reply before its
// request, on a connection's first exchange (the server's bytes decide its
// framing) and on a later one, each exchange pairs, no reply is an orphan,
// and the latency is the true one, from the request's read to its
// reply's (1 ms and 3 ms), never negative. An HTTP answer to a HEAD read
// alone in its read is ended by the HEAD (it waited for the next bytes of
// the server's, and was timed by them, or by the close: 17 ms).
func TestRepliesReportedBeforeTheirRequests(t *testing.T) {
	lsp := func(b string) string { return "Content-Length: " + itoa(len(b)) + "\r\n\r\n" + b }
	for _, tc := range []struct {
		name                     string
		req1, resp1, req2, resp2 string
		want                     string
	}{
		{"http", "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
			"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\n", "GET /a ok, HEAD /b error"},
		{"resp", "*1\r\n$4\r\nPING\r\n", "+PONG\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "-ERR no\r\n", "PING ok, GET error"},
		{"msgpack-rpc", "\x94\x00\x01\xa4ping\x90", "\x94\x01\x01\xc0\xa4pong", "\x94\x00\x02\xa4fail\x90", "\x94\x01\x02\xa3bad\xc0", "ping ok, fail error"},
		{"varlink", `{"method":"org.a.Ping","parameters":{}}` + "\x00", `{"parameters":{}}` + "\x00",
			`{"method":"org.a.Get","parameters":{}}` + "\x00", `{"error":"org.a.NotFound","parameters":{}}` + "\x00", "org.a.Ping ok, org.a.Get error"},
		{"lsp", lsp(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`), lsp(`{"jsonrpc":"2.0","id":1,"result":{}}`),
			lsp(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`), lsp(`{"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"no"}}`), "initialize ok, shutdown error"},
		{"qmp", `{"execute":"qmp_capabilities"}` + "\n", `{"return": {}}` + "\n",
			`{"execute":"stop"}` + "\n", `{"error": {"class": "GenericError", "desc": "no"}}` + "\n", "qmp_capabilities ok, stop error"},
		{"mpv", `{"command":["get_property","volume"]}` + "\n", `{"data":50,"request_id":0,"error":"success"}` + "\n",
			`{"command":["get_property","nope"]}` + "\n", `{"error":"property not found","request_id":0}` + "\n", "get_property ok, get_property error"},
	} {
		for _, first := range []bool{false, true} {
			s := newScript()
			if first {
				s.data(2, protocol.S2C, tc.resp1).data(1, protocol.C2S, tc.req1)
			} else {
				s.data(1, protocol.C2S, tc.req1).data(2, protocol.S2C, tc.resp1)
			}
			s.data(6, protocol.S2C, tc.resp2).data(3, protocol.C2S, tc.req2).close(20, nil)
			_, lines, c := s.run(t)
			var got, lat []string
			for _, l := range lines {
				if l["type"] == "exchange" {
					got = append(got, fmt.Sprint(l["method"], " ", l["status"]))
					lat = append(lat, fmt.Sprint(l["latency_us"]))
				}
			}
			if g := strings.Join(got, ", "); g != tc.want || c.Orphan+c.NoReply != 0 {
				t.Errorf("%s, the first reply first %v: exchanges %q, want %q; counts %+v", tc.name, first, g, tc.want, c)
			}
			if l := strings.Join(lat, " "); l != "1000 3000" {
				t.Errorf("%s, the first reply first %v: latencies %s µs, want 1000 3000", tc.name, first, l)
			}
		}
	}
}

// A varlink call's streaming replies ("continues") reported before the
// call, its last too: they are its streamed rows, under its method, and
// the last answers it, 3 ms after it; the next call pairs with its own
// reply. (The call was answered by its first reply, the two others were
// orphans, and the next call's reply, held behind them, left it no
// reply.)
func TestStreamingRepliesReportedBeforeTheirCall(t *testing.T) {
	st, lines, c := newScript().
		data(2, protocol.S2C, `{"parameters":{"n":1},"continues":true}`+"\x00").
		data(3, protocol.S2C, `{"parameters":{"n":2},"continues":true}`+"\x00").
		data(4, protocol.S2C, `{"parameters":{"n":3}}`+"\x00").
		data(1, protocol.C2S, `{"method":"org.a.Watch","parameters":{},"more":true}`+"\x00").
		data(6, protocol.S2C, `{"parameters":{}}`+"\x00").
		data(5, protocol.C2S, `{"method":"org.a.Ping"}`+"\x00").
		close(20, nil).run(t)
	var got []string
	for _, l := range lines {
		if l["type"] == "exchange" {
			got = append(got, fmt.Sprint(l["method"], " ", l["status"], " ", l["latency_us"]))
		}
	}
	if g := strings.Join(got, ", "); g != "org.a.Watch ok 3000, org.a.Ping ok 1000" || c.Streamed != 2 || c.Orphan+c.NoReply != 0 {
		t.Fatalf("exchanges %s, counts %+v", g, c)
	}
	var rows []string
	st.Rows(0, func(r store.Row) bool {
		rows = append(rows, r.Kind.String()+" "+r.Method)
		return true
	})
	if g := strings.Join(rows, ", "); g != "request org.a.Watch, response org.a.Watch, response org.a.Watch, request org.a.Ping" {
		t.Errorf("rows %s", g)
	}
}

// A request in two reads (an upload's head, 100 Continue, its body) whose
// answer, read after the body, is reported before the body: it is timed
// from the request's end, and the request shows as sent then, as when it
// is reported in order. (It was timed from the request's start, and shown
// sent then, as an answer read before the body is in, a 413, is.)
func TestHTTPAnswerAfterTheBodyReportedBeforeIt(t *testing.T) {
	for _, early := range []bool{false, true} {
		s := newScript().
			data(1, protocol.C2S, "POST /up HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").
			data(2, protocol.S2C, "HTTP/1.1 100 Continue\r\n\r\n")
		const body, created = "hello", "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
		if early {
			s.data(5, protocol.S2C, created).data(3, protocol.C2S, body)
		} else {
			s.data(3, protocol.C2S, body).data(5, protocol.S2C, created)
		}
		st, lines, _ := s.close(9, nil).run(t)
		var got []string
		for _, l := range lines {
			if l["type"] == "exchange" {
				got = append(got, fmt.Sprint(l["method"], " ", l["status"], " ", l["latency_us"]))
			}
		}
		st.Rows(0, func(r store.Row) bool {
			got = append(got, fmt.Sprint(r.Method, " sent at ", r.ReqAt.Sub(s.t0)))
			return true
		})
		if g := strings.Join(got, ", "); g != "POST /up ok 2000, 100 Continue sent at 2ms, POST /up sent at 3ms" {
			t.Errorf("the answer reported before the body %v: %s", early, g)
		}
	}
}
