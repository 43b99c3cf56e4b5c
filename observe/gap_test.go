package observe

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sockscope/event"

	"sockscope/protocol"
	"sockscope/store"
)

// gapped adds a Data event that reports n bytes dropped just before it.
func (s *script) gapped(ms int, d protocol.Dir, n int64, text string) *script {
	s.data(ms, d, text)
	s.evs[len(s.evs)-1].Gap = n
	return s
}

// A no-reply or orphan is marked as possibly unseen only when bytes were
// dropped where its missing half would have travelled: after the request
// in the reply's direction, or before the reply in the request's.
func TestUnpairedAcrossAGap(t *testing.T) {
	s := newScript().
		data(1, protocol.C2S, `{"rid":1,"method":"lost","args":[]}`+"\n").
		data(2, protocol.S2C, `{"rid":9,"success":true}`+"\n"). // an orphan, nothing dropped
		// After a gap the framer skips the rest of the line it cut into.
		gapped(3, protocol.S2C, 100, `cut"}`+"\n"+`{"rid":0,"success":true}`+"\n").
		data(4, protocol.C2S, `{"rid":2,"method":"after","args":[]}`+"\n").
		gapped(5, protocol.C2S, 50, `cut"}`+"\n"+`{"rid":3,"method":"ok","args":[]}`+"\n").
		data(6, protocol.S2C, `{"rid":3,"success":true}`+"\n"+`{"rid":7,"success":true}`+"\n").
		close(7, nil)
	// A second connection whose reply bytes were dropped at its very end.
	s.evs = append(s.evs,
		event.Event{Type: event.Open, Conn: 2, At: s.t0, Peer: &event.Peer{PID: -1, UID: -1}},
		event.Event{Type: event.Data, Conn: 2, Dir: protocol.C2S, At: s.t0.Add(time.Millisecond), Data: []byte(`{"rid":1,"method":"tail"}` + "\n")},
		event.Event{Type: event.Close, Conn: 2, At: s.t0.Add(2 * time.Millisecond), TailGaps: [2]int64{protocol.S2C: 30}})
	st, lines, c := s.run(t)

	var got []string
	for _, l := range lines {
		switch l["type"] {
		case "exchange":
			name, ok := l["method"].(string)
			if !ok { // an orphan: by its id
				name = fmt.Sprint("rid", l["id"])
			}
			e := name + ":" + l["status"].(string)
			if l["gap"] == true {
				e += ":gap"
			}
			got = append(got, e)
		case "gap":
			got = append(got, "gap:"+l["dir"].(string))
		}
	}
	want := []string{
		"gap:s2c",           // reported at 3 ms
		"rid9:orphan",       // settled once c2s is seen past 2 ms: c2s lost nothing
		"rid0:orphan",       // c2s lost nothing before 3 ms either
		"gap:c2s",           // reported at 5 ms, covering 4–5 ms
		"ok:ok",             //
		"lost:no-reply:gap", // its reply may have been in the s2c gap
		"after:no-reply",    // asked after the s2c gap: its reply was not dropped
		"rid7:orphan:gap",   // its request may have been in the c2s gap
		"gap:s2c",           // conn 2's tail, before its close
		"tail:no-reply:gap",
	}
	if !slices.Equal(got, want) {
		t.Errorf("dump:\n got %q\nwant %q", got, want)
	}
	if c.UnseenMaybe != 3 || c.Gaps != 3 {
		t.Errorf("counts %+v; want 3 possibly unseen, 3 gaps", c)
	}
	if !strings.Contains(c.String(), "3 of the no-reply and orphan may be sockscope's drops") {
		t.Errorf("summary %q does not say so", c.String())
	}
	gaps := 0
	st.Rows(0, func(r store.Row) bool {
		if r.Gap {
			gaps++
			if r.Status != protocol.StatusNoReply && r.Status != protocol.StatusOrphan {
				t.Errorf("row %+v marked Gap", r)
			}
		}
		return true
	})
	if gaps != 3 {
		t.Errorf("%d stored rows marked Gap, want 3", gaps)
	}
}

// A request whose row the store has already evicted still counts as
// possibly unseen when its reply direction lost bytes.
func TestUnpairedAcrossAGapAfterEviction(t *testing.T) {
	s := newScript().data(1, protocol.C2S, `{"rid":1,"method":"old","args":[]}`+"\n")
	for i := range 20 {
		s.data(2+i, protocol.C2S, fmt.Sprintf(`{"note":%d}`+"\n", i))
	}
	s.gapped(30, protocol.S2C, 64, "cut\n").close(31, nil)
	st := store.New(store.Config{MaxMessages: 8})
	o := New(Config{Store: st})
	for i := range s.evs {
		o.Handle(s.evs[i : i+1])
	}
	if _, ok := st.Row(1); ok {
		t.Fatal("the request's row is still stored: evict it first")
	}
	if c := o.Counts(); c.NoReply != 1 || c.UnseenMaybe != 1 {
		t.Errorf("counts %+v; want 1 no-reply, possibly unseen", c)
	}
}

// A response whose end the relay dropped, right before the connection
// closed (the close carries the gap): when the gap is the rest of its body,
// the response is whole but for bytes not seen, and says so (its size
// the true one); when the gap runs past where the body ends, what came
// of the response is let go, as after a gap met mid-stream, and the
// request has no reply that may be in the gap. Both were flushed as a
// whole 200 OK, the size what came, with "stream ended mid-frame".
func TestResponseCutByADropAtTheClose(t *testing.T) {
	for _, c := range []struct {
		name string
		gap  int64
		want []string
	}{
		{"the rest of the body", 97, []string{"message:c2s:request", "gap:s2c:97",
			"message:s2c:response:140:97 bytes of it not seen", "GET /big:ok"}},
		{"past the body", 500, []string{"message:c2s:request", "gap:s2c:500", "GET /big:no-reply:gap"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newScript().
				data(1, protocol.C2S, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n").
				data(2, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
			s.evs = append(s.evs, event.Event{Type: event.Close, Conn: 1, At: s.t0.Add(3 * time.Millisecond),
				TailGaps: [2]int64{protocol.S2C: c.gap}})
			_, lines, _ := s.run(t)
			if got := gapDump(lines); !slices.Equal(got, c.want) {
				t.Errorf("dump:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// gapDump is what a gap test looks at of the dump: messages (the
// response's size and the start of its reason), gaps and exchanges.
func gapDump(lines []map[string]any) []string {
	var got []string
	for _, l := range lines {
		switch l["type"] {
		case "exchange":
			e := fmt.Sprint(l["method"], ":", l["status"])
			if l["gap"] == true {
				e += ":gap"
			}
			got = append(got, e)
		case "message":
			m := fmt.Sprint("message:", l["dir"], ":", l["kind"])
			if r, ok := l["reason"].(string); ok {
				m += fmt.Sprint(":", l["size"], ":", r[:min(len(r), len("97 bytes of it not seen"))])
			}
			got = append(got, m)
		case "gap":
			got = append(got, fmt.Sprint("gap:", l["dir"], ":", l["bytes"]))
		}
	}
	return got
}

// A gap inside a body of a set length is part of the message: it is
// emitted whole but for the bytes not seen, and the connection's next
// messages are HTTP still. It was raw from the gap to the connection's end.
func TestGapInsideABody(t *testing.T) {
	body := strings.Repeat("x", 100)
	s := newScript().
		data(1, protocol.C2S, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n").
		data(2, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n"+body).
		gapped(3, protocol.S2C, 5000, strings.Repeat("y", 4900)).
		data(4, protocol.C2S, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n").
		data(5, protocol.S2C, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").
		close(6, nil)
	_, lines, c := s.run(t)
	want := []string{"message:c2s:request", "gap:s2c:5000", "message:s2c:response:10042:5000 bytes of it not se",
		"GET /a:ok", "message:c2s:request", "message:s2c:response", "GET /b:error"}
	if got := gapDump(lines); !slices.Equal(got, want) {
		t.Errorf("dump:\n got %q\nwant %q", got, want)
	}
	if c.Raw != 0 || c.OK != 1 || c.Errors != 1 {
		t.Errorf("counts %+v; want no raw, 1 ok, 1 error", c)
	}
}

// An upload whose body a drop cut: the server answered once the head was
// in (nginx's return, or 100 Continue and then a reply), and the gap let
// go of the request, begun before the reply (the gap runs past its body's
// end: the framer cannot go past it). Its reply is an orphan that
// may be the lost request's: marked so. It was not, the gap's bytes being
// read after the reply.
func TestOrphanOfARequestAGapCut(t *testing.T) {
	s := newScript().
		data(1, protocol.C2S, "POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\nbody").
		data(2, protocol.S2C, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nposted\n").
		data(3, protocol.C2S, strings.Repeat("b", 1000)).
		gapped(4, protocol.C2S, 500000, strings.Repeat("b", 1000)).
		close(5, nil)
	_, lines, c := s.run(t)
	var got []string
	for _, l := range lines {
		if l["type"] == "exchange" {
			got = append(got, fmt.Sprint(l["method"], ":", l["status"], ":", l["gap"] == true))
		}
	}
	if want := []string{"200 OK:orphan:true"}; !slices.Equal(got, want) {
		t.Errorf("exchanges %q, want %q", got, want)
	}
	if c.UnseenMaybe != 1 {
		t.Errorf("counts %+v; want 1 possibly unseen", c)
	}
}

// A raw frame has no method (nor id): not the request line of bytes after
// an HTTP 101, nor the command the bytes after a RESP gap start with. It
// was listed, and found by method:, as the message it is not.
func TestRawFramesHaveNoMethod(t *testing.T) {
	_, lines, c := newScript().
		data(1, protocol.C2S, "GET /ws HTTP/1.1\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n").
		data(2, protocol.S2C, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n").
		data(3, protocol.C2S, "GET /notreally HTTP/1.1\r\n\r\n").
		close(4, nil).run(t)
	s2 := newScript().
		data(1, protocol.C2S, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").
		data(2, protocol.S2C, "$-1\r\n").
		gapped(3, protocol.C2S, 10, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n").
		close(4, nil)
	_, lines2, c2 := s2.run(t)
	raws := 0
	for _, l := range append(lines, lines2...) {
		if l["type"] == "message" && l["kind"] == "raw" {
			raws++
			if _, ok := l["method"]; ok {
				t.Errorf("a raw frame with a method: %v", l)
			}
		}
	}
	if raws != 2 || c.Raw != 1 || c2.Raw != 1 {
		t.Errorf("%d raw frames, counts %+v %+v; want one on each connection", raws, c, c2)
	}
}
