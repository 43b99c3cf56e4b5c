package store

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"sockscope/protocol"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// newMsg returns a message of conn with payload data, read at at.
func newMsg(conn uint64, dir protocol.Dir, at time.Time, data string) *protocol.Message {
	b := []byte(data)
	return &protocol.Message{Conn: conn, Dir: dir, At: at,
		Frame: protocol.Frame{Data: b, Size: len(b), Wire: len(b) + 1}}
}

// addLone stores a message and a lone row for it, returning both seqs.
func addLone(s *Store, m *protocol.Message) (msg, row uint64) {
	s.Update(func(tx *Tx) {
		msg = tx.AddMessage(m)
		row = tx.AddRow(&Row{Conn: m.Conn, Dir: m.Dir, Kind: protocol.KindNotification,
			Req: msg, ReqAt: m.At, ReqSize: m.Frame.Size})
	})
	return msg, row
}

// request stores a request message and its pending row.
func request(s *Store, conn uint64, method string, at time.Time) (row uint64) {
	s.Update(func(tx *Tx) {
		m := newMsg(conn, protocol.C2S, at, `{"method":"`+method+`"}`)
		seq := tx.AddMessage(m)
		row = tx.AddRow(&Row{Conn: conn, Kind: protocol.KindRequest, Method: method,
			Status: protocol.StatusPending, Req: seq, ReqAt: at, ReqSize: m.Frame.Size})
	})
	return row
}

// answer stores a response message and answers row with it.
func answer(s *Store, conn, row uint64, at time.Time, isErr bool) {
	s.Update(func(tx *Tx) {
		m := newMsg(conn, protocol.S2C, at, `{"result":1}`)
		m.Info.IsError = isErr
		m.Seq = tx.AddMessage(m)
		tx.Answer(row, m)
	})
}

func setStatus(s *Store, row uint64, st protocol.Status) {
	s.Update(func(tx *Tx) { tx.SetStatus(row, st) })
}

func TestBoundByCount(t *testing.T) {
	s := New(Config{MaxMessages: 100})
	for i := 1; i <= 250; i++ {
		msg, row := addLone(s, newMsg(1, protocol.C2S, ms(i), "x"))
		if msg != uint64(i) || row != uint64(i) {
			t.Fatalf("message %d: seqs %d, %d", i, msg, row)
		}
	}
	if f, n := s.MessageBounds(); f != 151 || n != 251 {
		t.Errorf("MessageBounds = %d, %d; want 151, 251", f, n)
	}
	if f, n := s.RowBounds(); f != 151 || n != 251 {
		t.Errorf("RowBounds = %d, %d; want 151, 251", f, n)
	}
	if _, ok := s.Row(150); ok {
		t.Error("Row(150) still stored")
	}
	if _, ok := s.Message(150); ok {
		t.Error("Message(150) still stored")
	}
	if r, ok := s.Row(151); !ok || r.Req != 151 || !r.ReqAt.Equal(ms(151)) {
		t.Errorf("Row(151) = %+v, %v", r, ok)
	}
	if m, ok := s.Message(250); !ok || m.Seq != 250 || !m.At.Equal(ms(250)) {
		t.Errorf("Message(250) = %+v, %v", m, ok)
	}
	tot := s.Totals()
	if tot.Messages != 250 || tot.Rows != 250 || tot.StoredMessages != 100 || tot.Evicted != 150 ||
		tot.StoredBytes != 100*(1+2*RecordOverhead) || tot.Bytes != 250 {
		t.Errorf("Totals = %+v", tot)
	}
	if c, _ := s.Conn(1); c.Messages != 250 || c.Bytes != [2]int64{250, 0} {
		t.Errorf("conn counts %d messages %v bytes, want 250 [250 0]", c.Messages, c.Bytes)
	}
}

func TestRowRingBound(t *testing.T) {
	s := New(Config{MaxMessages: 10})
	s.Update(func(tx *Tx) {
		seq := tx.AddMessage(newMsg(1, protocol.C2S, ms(0), "x"))
		for range 25 {
			tx.AddRow(&Row{Conn: 1, Req: seq})
		}
	})
	if f, n := s.RowBounds(); f != 16 || n != 26 {
		t.Errorf("RowBounds = %d, %d; want 16, 26", f, n)
	}
	if tot := s.Totals(); tot.StoredBytes != 1+11*RecordOverhead || tot.Rows != 25 {
		t.Errorf("Totals = %+v", tot)
	}
}

func TestBoundByBytes(t *testing.T) {
	payload := string(make([]byte, 100))
	per := int64(100 + 2*RecordOverhead) // a message and its row
	s := New(Config{MaxBytes: 10 * per})
	for i := 1; i <= 25; i++ {
		addLone(s, newMsg(1, protocol.C2S, ms(i), payload))
		if b := s.Totals().StoredBytes; b > 10*per {
			t.Fatalf("after %d: %d bytes stored, bound %d", i, b, 10*per)
		}
	}
	if f, n := s.MessageBounds(); f != 16 || n != 26 {
		t.Errorf("MessageBounds = %d, %d; want 16, 26", f, n)
	}
	if f, n := s.RowBounds(); f != 16 || n != 26 {
		t.Errorf("RowBounds = %d, %d; want 16, 26", f, n)
	}
	// One message over the whole bound pushes everything out, itself too.
	addLone(s, newMsg(1, protocol.C2S, ms(30), string(make([]byte, 20*per))))
	tot := s.Totals()
	if tot.StoredBytes > 10*per || tot.StoredBytes < 0 || tot.StoredMessages != 0 {
		t.Errorf("after a huge message: %+v", tot)
	}
	if f, n := s.MessageBounds(); f != 27 || n != 27 {
		t.Errorf("MessageBounds = %d, %d; want 27, 27", f, n)
	}
}

// TestRowFollowsItsOldestMessage: a row goes when its oldest message goes,
// and rows behind it that still have their messages stay.
func TestRowFollowsItsOldestMessage(t *testing.T) {
	s := New(Config{MaxMessages: 3})
	a := request(s, 1, "a", ms(0)) // message 1
	b := request(s, 1, "b", ms(1)) // message 2
	answer(s, 1, b, ms(2), false)  // message 3
	if _, ok := s.Row(a); !ok {
		t.Fatal("row a gone too early")
	}
	addLone(s, newMsg(1, protocol.C2S, ms(3), "x")) // message 4 pushes out 1
	if _, ok := s.Row(a); ok {
		t.Error("row a outlived its request")
	}
	if r, ok := s.Row(b); !ok || r.Req != 2 || r.Resp != 3 || r.Status != protocol.StatusOK {
		t.Errorf("row b = %+v, %v", r, ok)
	}
	if f, n := s.RowBounds(); f != 2 || n != 4 {
		t.Errorf("RowBounds = %d, %d; want 2, 4", f, n)
	}
}

// TestPayloadIsCopied: the store keeps nothing of the caller's buffer, and
// Message hands out a copy of its own.
func TestPayloadIsCopied(t *testing.T) {
	s := New(Config{})
	m := newMsg(1, protocol.C2S, ms(0), `{"id":7,"method":"hello"}`)
	m.Info = protocol.Info{Kind: protocol.KindRequest, ID: m.Frame.Data[6:7], Method: m.Frame.Data[18:23]}
	seq, _ := addLone(s, m)
	for i := range m.Frame.Data {
		m.Frame.Data[i] = 'X'
	}
	got, _ := s.Message(seq)
	if string(got.Frame.Data) != `{"id":7,"method":"hello"}` || string(got.Info.ID) != "7" || string(got.Info.Method) != "hello" {
		t.Fatalf("after the caller's buffer changed: %q id %q method %q", got.Frame.Data, got.Info.ID, got.Info.Method)
	}
	if unsafe.SliceData(got.Frame.Data) == unsafe.SliceData(m.Frame.Data) {
		t.Error("Message returned the caller's buffer")
	}
	if unsafe.SliceData(got.Info.ID) != &got.Frame.Data[6] {
		t.Error("Message's Info.ID does not alias its Frame.Data")
	}
	got.Frame.Data[0] = '['
	again, _ := s.Message(seq)
	if again.Frame.Data[0] != '{' {
		t.Error("changing what Message returned changed the store")
	}
	s.Messages(0, func(p *protocol.Message) bool {
		if string(p.Frame.Data) != `{"id":7,"method":"hello"}` || string(p.Info.Method) != "hello" {
			t.Errorf("Messages passed %q method %q", p.Frame.Data, p.Info.Method)
		}
		return true
	})
}

// TestIDAndMethodOutsideThePayload: an id or method that does not alias the
// payload (a method from a constant, say) is kept beside it.
func TestIDAndMethodOutsideThePayload(t *testing.T) {
	s := New(Config{})
	m := newMsg(1, protocol.S2C, ms(0), `{"QMP":{}}`)
	m.Info = protocol.Info{Kind: protocol.KindNotification, Method: []byte("QMP"), ID: []byte(`"x"`)}
	m.Frame.Err, m.Info.Err = "partial frame", "not JSON"
	seq, _ := addLone(s, m)
	got, _ := s.Message(seq)
	if string(got.Frame.Data) != `{"QMP":{}}` || string(got.Info.Method) != "QMP" || string(got.Info.ID) != `"x"` {
		t.Errorf("got %q method %q id %q", got.Frame.Data, got.Info.Method, got.Info.ID)
	}
	if got.Frame.Err != "partial frame" || got.Info.Err != "not JSON" || cap(got.Frame.Data) != len(got.Frame.Data) {
		t.Errorf("Frame.Err %q, Info.Err %q, cap %d", got.Frame.Err, got.Info.Err, cap(got.Frame.Data))
	}
	if want := int64(len(`{"QMP":{}}"x"QMP`) + 2*RecordOverhead); s.Totals().StoredBytes != want {
		t.Errorf("StoredBytes %d, want %d", s.Totals().StoredBytes, want)
	}
	none := newMsg(1, protocol.C2S, ms(1), "")
	none.Info.Method = []byte{}
	seq, _ = addLone(s, none)
	got, _ = s.Message(seq)
	if got.Frame.Data != nil || got.Info.ID != nil || got.Info.Method == nil || len(got.Info.Method) != 0 {
		t.Errorf("empty message: %#v", got)
	}
}

// TestFieldsKept: an HTTP/2 header block's decoded fields (Frame.Fields)
// are kept with its message, beside an id and method kept apart and a
// note, and read back as they were; a message without them has none.
func TestFieldsKept(t *testing.T) {
	s := New(Config{})
	for _, note := range []*protocol.Note{nil, {Act: protocol.ActHeld, Rule: "r", Diff: "d"}} {
		m := newMsg(1, protocol.C2S, ms(0), "\x00\x00\x01\x01\x05\x00\x00\x00\x01\x82")
		m.Framing, m.Note = protocol.FramingHTTP2, note
		m.Info = protocol.Info{Kind: protocol.KindRequest, Method: []byte("GET /x"), ID: []byte("1")}
		m.Frame.Fields = []byte("d\x07:method\x03GET\x05:path\x02/x")
		seq, _ := addLone(s, m)
		got, _ := s.Message(seq)
		if string(got.Frame.Fields) != string(m.Frame.Fields) || string(got.Info.Method) != "GET /x" || string(got.Info.ID) != "1" ||
			string(got.Frame.Data) != string(m.Frame.Data) || got.Note.String() != note.String() || got.Frame.Size != m.Frame.Size {
			t.Errorf("note %v: got %+v", note, got)
		}
		plain := newMsg(1, protocol.S2C, ms(1), `{"a":1}`)
		seq, _ = addLone(s, plain)
		if got, _ := s.Message(seq); got.Frame.Fields != nil {
			t.Errorf("fields for a message without: %q", got.Frame.Fields)
		}
	}
}

// TestEvictionReleasesPayload: the arena gives back the chunks of evicted
// messages, so what it holds follows what is stored.
func TestEvictionReleasesPayload(t *testing.T) {
	const max = 64 << 10
	s := New(Config{MaxBytes: max})
	payload := string(make([]byte, 300))
	for i := range 2000 {
		addLone(s, newMsg(1, protocol.C2S, ms(i), payload))
		if a := s.arena.alloc + RecordOverhead*int64(s.msgs.len()+s.rows.len()); a > max {
			t.Fatalf("after %d: arena and records take %d bytes, bound %d", i, a, max)
		}
	}
	if n := s.arena.chunks.len(); n > max/s.arena.size+1 {
		t.Errorf("%d chunks of %d bytes live", n, s.arena.size)
	}
	first, _ := s.MessageBounds()
	if m, ok := s.Message(first); !ok || len(m.Frame.Data) != 300 {
		t.Errorf("oldest stored message %d: %v", first, ok)
	}
	s.Clear()
	if s.arena.chunks.len() != 0 || s.arena.alloc != int64(s.arena.size) {
		t.Errorf("after Clear: %d chunks, %d bytes", s.arena.chunks.len(), s.arena.alloc)
	}
}

func TestIterate(t *testing.T) {
	s := New(Config{MaxMessages: 10})
	for i := range 15 {
		addLone(s, newMsg(1, protocol.C2S, ms(i), fmt.Sprint(i)))
	}
	collect := func(f func(func(Row) bool), n int) []uint64 {
		var out []uint64
		f(func(r Row) bool {
			out = append(out, r.Seq)
			return len(out) < n
		})
		return out
	}
	tests := []struct {
		name string
		f    func(func(Row) bool)
		n    int
		want string
	}{
		{"from 0", func(fn func(Row) bool) { s.Rows(0, fn) }, 100, "[6 7 8 9 10 11 12 13 14 15]"},
		{"from 13", func(fn func(Row) bool) { s.Rows(13, fn) }, 100, "[13 14 15]"},
		{"stop", func(fn func(Row) bool) { s.Rows(7, fn) }, 2, "[7 8]"},
		{"past the end", func(fn func(Row) bool) { s.Rows(16, fn) }, 100, "[]"},
		{"before next", func(fn func(Row) bool) { s.RowsBefore(16, fn) }, 3, "[15 14 13]"},
		{"before far", func(fn func(Row) bool) { s.RowsBefore(1000, fn) }, 2, "[15 14]"},
		{"before 8", func(fn func(Row) bool) { s.RowsBefore(8, fn) }, 100, "[7 6]"},
		{"before first", func(fn func(Row) bool) { s.RowsBefore(6, fn) }, 100, "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(collect(tt.f, tt.n)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	var got []string
	s.Messages(14, func(m *protocol.Message) bool {
		got = append(got, string(m.Frame.Data))
		return true
	})
	if fmt.Sprint(got) != "[13 14]" {
		t.Errorf("Messages(14) = %v, want [13 14]", got)
	}
}

func TestGenMovesOnlyOnChange(t *testing.T) {
	s := New(Config{})
	g := s.Gen()
	step := func(name string, moves bool, fn func(tx *Tx)) {
		t.Helper()
		s.Update(fn)
		want := g
		if moves {
			want++
		}
		if got := s.Gen(); got != want {
			t.Errorf("%s: Gen %d, want %d", name, got, want)
		}
		g = s.Gen()
	}
	var row uint64
	step("nothing", false, func(tx *Tx) {})
	step("a batch", true, func(tx *Tx) {
		tx.OpenConn(Conn{ID: 1})
		seq := tx.AddMessage(newMsg(1, protocol.C2S, ms(0), "{}"))
		row = tx.AddRow(&Row{Conn: 1, Req: seq, Status: protocol.StatusPending, Method: "m"})
	})
	step("same status", false, func(tx *Tx) { tx.SetStatus(row, protocol.StatusPending) })
	step("unknown row", false, func(tx *Tx) {
		tx.SetStatus(99, protocol.StatusNoReply)
		tx.Answer(99, &protocol.Message{})
		tx.SetDuplicate(99)
	})
	step("duplicate", true, func(tx *Tx) { tx.SetDuplicate(row) })
	step("duplicate again", false, func(tx *Tx) { tx.SetDuplicate(row) })
	step("dropped", true, func(tx *Tx) { tx.SetDropped(3, 100) })
	step("dropped unchanged", false, func(tx *Tx) { tx.SetDropped(3, 100) })
	step("close", true, func(tx *Tx) { tx.CloseConn(1, ms(1), "") })
	step("close twice", false, func(tx *Tx) { tx.CloseConn(1, ms(2), "reset") })
	step("status", true, func(tx *Tx) { tx.SetStatus(row, protocol.StatusNoReply) })
	s.Clear()
	if s.Gen() != g+1 {
		t.Errorf("Clear: Gen %d, want %d", s.Gen(), g+1)
	}
	if r, ok := s.Row(row); ok || !r.ReqAt.IsZero() {
		t.Error("row survived Clear")
	}
}

func TestClear(t *testing.T) {
	s := New(Config{})
	s.Update(func(tx *Tx) { tx.OpenConn(Conn{ID: 4, Client: "c"}) })
	p := request(s, 4, "slow", ms(0))
	addLone(s, newMsg(4, protocol.C2S, ms(1), "x"))
	s.Clear()
	if f, n := s.MessageBounds(); f != 3 || n != 3 {
		t.Errorf("MessageBounds = %d, %d; want 3, 3", f, n)
	}
	if f, n := s.RowBounds(); f != 3 || n != 3 {
		t.Errorf("RowBounds = %d, %d; want 3, 3", f, n)
	}
	tot := s.Totals()
	if tot.StoredMessages != 0 || tot.StoredBytes != 0 || tot.Messages != 2 || tot.Rows != 2 || tot.Evicted != 0 || tot.Conns != 1 {
		t.Errorf("Totals = %+v", tot)
	}
	if c, ok := s.Conn(4); !ok || c.Client != "c" || c.InFlight != 1 {
		t.Errorf("Conn(4) = %+v, %v", c, ok)
	}
	// The cleared pending row still counts when its reply comes.
	answer(s, 4, p, ms(10), false)
	if c, _ := s.Conn(4); c.InFlight != 0 || c.Latency.Count != 1 || !within(c.Latency.Max, 10*time.Millisecond, 0) {
		t.Errorf("after answering a cleared row: %+v", c)
	}
	if seq, _ := addLone(s, newMsg(4, protocol.C2S, ms(2), "y")); seq != 4 {
		t.Errorf("seqs restarted: %d, want 4", seq)
	}
}

// TestFullStoreReusesChunks: once the store is full, each payload copied in
// takes the room of evicted ones; the arena allocates nothing more.
func TestFullStoreReusesChunks(t *testing.T) {
	s := New(Config{MaxBytes: 16 << 20})
	payload := string(make([]byte, 16<<10))
	for i := range 2000 {
		addLone(s, newMsg(1, protocol.C2S, ms(i), payload))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 2000 {
		s.Update(func(tx *Tx) { tx.AddMessage(newMsg(1, protocol.C2S, ms(i), payload)) })
	}
	runtime.ReadMemStats(&after)
	// The payloads themselves (newMsg's copies) are 2000*16 KiB.
	if extra := int64(after.TotalAlloc-before.TotalAlloc) - 2000*16<<10; extra > 1<<20 {
		t.Errorf("%d bytes allocated beyond the payloads for 2000 messages into a full store", extra)
	}
}
