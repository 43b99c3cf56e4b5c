package observe

import (
	"strings"
	"testing"

	"sockscope/internal/h2test"
	"sockscope/protocol"
	"sockscope/store"
)

// h2Frame is h2test.Frame as a string.
func h2Frame(typ, flags byte, stream uint32, payload []byte) string {
	return string(h2test.Frame(typ, flags, stream, payload))
}

// h2Get is h2test.Get as a string.
func h2Get(stream uint32, path string) string { return string(h2test.Get(stream, path)) }

// h2Reset is RST_STREAM of stream with error code code.
func h2Reset(stream uint32, code byte) string { return h2Frame(0x3, 0, stream, []byte{0, 0, 0, code}) }

// The two directions are read in parallel, so the server's RST_STREAM can
// reach the decoder before the client's HEADERS that opened its stream:
// the reset is held as an early reply is, and ends the request as an
// error when it comes, answered by it (it stayed pending, then no reply).
// A reset after its stream's answer, the answer early too, is still a
// notification; so is a reset of a stream whose request never comes, once
// the client's side is read past it (never an orphan); and a reset of a
// stream the client opened before, answered already (nginx's NO_ERROR).
func TestHTTP2ResetBeforeItsRequest(t *testing.T) {
	st, lines, c := newScript().
		data(1, protocol.C2S, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"+h2Frame(0x4, 0, 0, nil)).
		data(1, protocol.S2C, h2Frame(0x4, 0, 0, nil)).
		data(2, protocol.C2S, h2Get(1, "/a")).
		data(3, protocol.S2C, h2Frame(0x1, 0x5, 1, []byte{0x88})). // 200
		data(4, protocol.S2C, h2Reset(1, 0)).                      // NO_ERROR, after the answer
		data(6, protocol.S2C, h2Reset(3, 7)).                      // REFUSED_STREAM, delivered first…
		data(5, protocol.C2S, h2Get(3, "/b")).                     // …of a request read before it
		data(8, protocol.S2C, h2Frame(0x1, 0x5, 5, []byte{0x88})+h2Reset(5, 0)).
		data(7, protocol.C2S, h2Get(5, "/c")).
		data(10, protocol.S2C, h2Reset(9, 8)). // CANCEL of a stream never seen opened
		data(11, protocol.C2S, h2Frame(0x6, 0, 0, make([]byte, 8))).
		close(20, nil).run(t)
	if got := strings.Join(exchanges(lines), " "); got != "GET /a:ok GET /b:error GET /c:ok" || c.Orphan != 0 || c.NoReply != 0 {
		t.Fatalf("exchanges %s, counts %+v", got, c)
	}
	var notes []string
	var refused store.Row
	st.Rows(0, func(r store.Row) bool {
		switch {
		case r.Kind == protocol.KindNotification && strings.HasPrefix(r.Method, "RST_STREAM"):
			notes = append(notes, r.ID+" "+r.Method)
		case r.Method == "GET /b":
			refused = r
		}
		return true
	})
	if got := strings.Join(notes, ", "); got != "1 RST_STREAM NO_ERROR, 5 RST_STREAM NO_ERROR, 9 RST_STREAM CANCEL" {
		t.Errorf("resets as notifications: %s", got)
	}
	if m, ok := st.Message(refused.Resp); !ok || string(m.Info.Method) != "RST_STREAM REFUSED_STREAM" || refused.Status != protocol.StatusError {
		t.Errorf("GET /b: %+v, answered by %q", refused, m.Info.Method)
	}
}

// The server's GOAWAY can reach the decoder before the client's HEADERS
// on streams above its last (read before it, or sent before the client
// read it): those requests end as errors answered by it, as the ones
// pending when it came do, not as no-reply at close.
func TestHTTP2GoAwayBeforeItsRequests(t *testing.T) {
	goAway := h2Frame(0x7, 0, 0, []byte{0, 0, 0, 1, 0, 0, 0, 0}) // last stream 1, NO_ERROR
	st, lines, c := newScript().
		data(1, protocol.C2S, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"+h2Frame(0x4, 0, 0, nil)).
		data(1, protocol.S2C, h2Frame(0x4, 0, 0, nil)).
		data(2, protocol.C2S, h2Get(1, "/a")).
		data(3, protocol.S2C, h2Frame(0x1, 0x5, 1, []byte{0x88})+goAway). // 200, then GOAWAY…
		data(2, protocol.C2S, h2Get(3, "/b")).                            // …delivered before a request read before it
		data(4, protocol.C2S, h2Get(5, "/c")).                            // and one the client sent before reading it
		close(20, nil).run(t)
	if got := strings.Join(exchanges(lines), " "); got != "GET /a:ok GET /b:error GET /c:error" || c.Orphan != 0 || c.NoReply != 0 {
		t.Fatalf("exchanges %s, counts %+v", got, c)
	}
	st.Rows(0, func(r store.Row) bool {
		if r.Method == "GET /b" || r.Method == "GET /c" {
			if m, ok := st.Message(r.Resp); !ok || string(m.Info.Method) != "GOAWAY NO_ERROR" || r.Status != protocol.StatusError {
				t.Errorf("%s: %+v, answered by %q", r.Method, r, m.Info.Method)
			}
		}
		return true
	})
}
