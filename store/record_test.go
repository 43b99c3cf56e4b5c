package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"sockscope/protocol"
)

// pointers returns the paths of the fields of t that hold pointers.
func pointers(t reflect.Type, path string) []string {
	switch t.Kind() {
	case reflect.Struct:
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			out = append(out, pointers(f.Type, path+"."+f.Name)...)
		}
		return out
	case reflect.Array:
		return pointers(t.Elem(), path+"[]")
	case reflect.Pointer, reflect.Slice, reflect.String, reflect.Map, reflect.Chan,
		reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return []string{path + " (" + t.String() + ")"}
	}
	return nil
}

func elemOf[T any](*ring[T]) reflect.Type { return reflect.TypeFor[T]() }

// TestRecordsHoldNoPointers: the garbage collector need not scan the rings,
// however full they are.
func TestRecordsHoldNoPointers(t *testing.T) {
	s := New(Config{})
	for _, typ := range []reflect.Type{elemOf(&s.msgs), elemOf(&s.rows), elemOf(&s.exts)} {
		if p := pointers(typ, typ.Name()); len(p) > 0 {
			t.Errorf("%s holds pointers: %s", typ, strings.Join(p, ", "))
		}
	}
	if p := pointers(reflect.TypeOf(struct{ s string }{}), "probe"); len(p) != 1 {
		t.Errorf("the check misses a string field: %v", p)
	}
}

// TestLongIDsAndMethodsNotInterned: ids longer than a record holds, and
// method names beyond the table, are kept in the arena with their row, and
// go with it.
func TestLongIDsAndMethodsNotInterned(t *testing.T) {
	s := New(Config{MaxMessages: 4})
	long := `"` + strings.Repeat("0123456789", 5) + `"`
	longName := strings.Repeat("m", maxMethodLen+1)
	ids := []string{"", "1", `"` + strings.Repeat("a", idInline-2) + `"`, long, long + "x"}
	methods := []string{"", "short", longName, "short", longName + "2"}
	var rows []uint64
	for i := range ids {
		s.Update(func(tx *Tx) {
			seq := tx.AddMessage(newMsg(1, protocol.C2S, ms(i), "{}"))
			rows = append(rows, tx.AddRow(&Row{Conn: 1, Kind: protocol.KindRequest, ID: ids[i], Method: methods[i],
				Status: protocol.StatusPending, Req: seq, ReqAt: ms(i)}))
		})
	}
	for i, seq := range rows[1:] {
		i++
		r, ok := s.Row(seq)
		if !ok || r.ID != ids[i] || r.Method != methods[i] {
			t.Errorf("row %d: %v id %q method %q; want %q %q", seq, ok, r.ID, r.Method, ids[i], methods[i])
		}
	}
	if n := s.exts.len(); n != 3 {
		t.Errorf("%d rows with arena bytes, want 3", n)
	}
	wantBytes := int64(4*(2+2*RecordOverhead) + len(long) + len(longName) + len(long) + 1 + len(longName) + 1)
	if b := s.Totals().StoredBytes; b != wantBytes {
		t.Errorf("StoredBytes %d, want %d", b, wantBytes)
	}
	if m := s.Methods(0); len(m) != 2 || m[0].Method != OtherMethod || m[0].Count != 2 {
		t.Errorf("Methods = %+v", m)
	}
	// Evicting rows with arena bytes gives their bytes back.
	for i := range 6 {
		addLone(s, newMsg(1, protocol.C2S, ms(10+i), "{}"))
	}
	if b, n := s.Totals().StoredBytes, s.exts.len(); b != 4*(2+2*RecordOverhead) || n != 0 {
		t.Errorf("after eviction: %d bytes, %d rows with arena bytes", b, n)
	}
	s.Update(func(tx *Tx) {
		seq := tx.AddMessage(newMsg(1, protocol.C2S, ms(20), "{}"))
		tx.AddRow(&Row{Conn: 1, ID: long, Req: seq})
	})
	s.Clear()
	if s.exts.len() != 0 || s.arena.live != 0 {
		t.Errorf("after Clear: %d rows with arena bytes, %d live arena bytes", s.exts.len(), s.arena.live)
	}
}

// TestTimes: times come back equal, in UTC when they were, and latencies
// follow the monotonic clock when the times have a reading.
func TestTimes(t *testing.T) {
	s := New(Config{})
	now := time.Now()
	local := time.Date(2025, 6, 7, 8, 9, 10, 11, time.Local)
	cases := []time.Time{{}, t0, now, local, now.Add(-time.Hour)}
	for _, at := range cases {
		seq, row := addLone(s, newMsg(1, protocol.C2S, at, "x"))
		m, _ := s.Message(seq)
		r, _ := s.Row(row)
		for what, got := range map[string]time.Time{"message": m.At, "row": r.ReqAt} {
			if !got.Equal(at) || got.IsZero() != at.IsZero() || (got.Location() == time.UTC) != (at.Location() == time.UTC) {
				t.Errorf("%s time %v came back as %v", what, at, got)
			}
		}
	}
	req := now.Add(time.Second)
	row := request(s, 1, "m", req)
	answer(s, 1, row, req.Add(1500*time.Microsecond), false)
	if r, _ := s.Row(row); r.Latency != 1500*time.Microsecond || r.RespAt.Sub(r.ReqAt) != r.Latency {
		t.Errorf("latency %v, RespAt-ReqAt %v", r.Latency, r.RespAt.Sub(r.ReqAt))
	}
}

// TestReasonTable: error reasons are interned, and bounded.
func TestReasonTable(t *testing.T) {
	s := New(Config{})
	for i := range maxReasons + 10 {
		m := newMsg(1, protocol.C2S, ms(i), "x")
		m.Frame.Err = fmt.Sprint("reason ", i)
		m.Info.Err = "not JSON"
		seq, _ := addLone(s, m)
		got, _ := s.Message(seq)
		want := m.Frame.Err
		if i >= maxReasons-3 { // "" and "not JSON" come first
			want = reasonsFull
		}
		if got.Frame.Err != want || got.Info.Err != "not JSON" {
			t.Fatalf("message %d: Frame.Err %q Info.Err %q, want %q", i, got.Frame.Err, got.Info.Err, want)
		}
	}
	if len(s.reasons) != maxReasons {
		t.Errorf("%d reasons, bound %d", len(s.reasons), maxReasons)
	}
}

// TestAddMessageWritesEveryField: AddMessage writes every field of a
// message's record, which it does not zero first, so that a slot that held
// a dropped record (here: bytes all ones) keeps nothing of it.
func TestAddMessageWritesEveryField(t *testing.T) {
	s := New(Config{})
	m := newMsg(1, protocol.C2S, ms(1), `{"id":1,"method":"m"}`)
	m.Info = protocol.Info{Kind: protocol.KindRequest, ID: m.Frame.Data[6:7], Method: m.Frame.Data[17:20]}
	var first, second uint64
	s.Update(func(tx *Tx) { first = tx.AddMessage(m) })
	slot := s.msgs.at(first + 1) // in the same block, not pushed yet
	b := unsafe.Slice((*byte)(unsafe.Pointer(slot)), unsafe.Sizeof(*slot))
	for i := range b {
		b[i] = 0xff
	}
	s.Update(func(tx *Tx) { second = tx.AddMessage(m) })
	want, got := *s.msgs.at(first), *s.msgs.at(second)
	want.loc = got.loc // placed after the first
	if second != first+1 || got != want {
		t.Errorf("record %d over ones = %+v, want %+v", second, got, want)
	}
}

// TestRecordSizes: a message's record is one cache line and a row's two,
// so that the records stay aligned to them in their ring blocks.
func TestRecordSizes(t *testing.T) {
	if m, r := unsafe.Sizeof(msgRec{}), unsafe.Sizeof(rowRec{}); m != 64 || r != 128 {
		t.Errorf("msgRec %d bytes, rowRec %d; want 64 and 128", m, r)
	}
}

// TestBigFrameSizes: a frame's Size and Wire beyond 32 bits (a record's
// fields) read back exact, and what the store keeps of them aside goes
// with the message.
func TestBigFrameSizes(t *testing.T) {
	s := New(Config{MaxMessages: 2})
	var seqs []uint64
	sizes := [][2]int{{5 << 30, 5<<30 + 7}, {10, 11}, {1<<32 - 1, 1 << 32}, {12, 13}}
	for i, sz := range sizes {
		m := newMsg(1, protocol.C2S, ms(i), "{}")
		m.Frame.Size, m.Frame.Wire, m.Frame.Truncated = sz[0], sz[1], true
		seq, _ := addLone(s, m)
		seqs = append(seqs, seq)
		got, ok := s.Message(seq)
		if !ok || got.Frame.Size != sz[0] || got.Frame.Wire != sz[1] || string(got.Frame.Data) != "{}" {
			t.Errorf("message %d: size %d wire %d data %q, want %d %d", i, got.Frame.Size, got.Frame.Wire, got.Frame.Data, sz[0], sz[1])
		}
		if c, _ := s.Conn(1); i == 0 && (c.Bytes[0] != int64(sz[0]) || c.Wire[0] != int64(sz[1])) {
			t.Errorf("connection counted %d bytes, %d on the wire", c.Bytes[0], c.Wire[0])
		}
	}
	if _, ok := s.Message(seqs[0]); ok || len(s.aside) != 1 {
		t.Errorf("message 0 still stored (%v), or %d big sizes kept (want 1)", ok, len(s.aside))
	}
	s.Clear()
	if len(s.aside) != 0 {
		t.Errorf("%d big sizes kept after Clear", len(s.aside))
	}
}

// TestRowLines: what evicting a row reads, and what Answer reads and
// writes, lies in the first 64 bytes of its record.
func TestRowLines(t *testing.T) {
	var r rowRec
	for name, end := range map[string]uintptr{
		"req": unsafe.Offsetof(r.req) + 8, "resp": unsafe.Offsetof(r.resp) + 8,
		"reqAt": unsafe.Offsetof(r.reqAt) + 8, "respAt": unsafe.Offsetof(r.respAt) + 8,
		"respSize": unsafe.Offsetof(r.respSize) + 4, "status": unsafe.Offsetof(r.status) + 1,
		"flags": unsafe.Offsetof(r.flags) + 1, "act": unsafe.Offsetof(r.act) + 1,
		"code":  unsafe.Offsetof(r.code) + 2,
		"idLen": unsafe.Offsetof(r.idLen) + 4, "mLen": unsafe.Offsetof(r.mLen) + 4,
		"conn": unsafe.Offsetof(r.conn) + 4, "gm": unsafe.Offsetof(r.gm) + 4, "cm": unsafe.Offsetof(r.cm) + 4,
	} {
		if end > 64 {
			t.Errorf("rowRec.%s ends at byte %d, past the first line", name, end)
		}
	}
}

// TestRowSizesAndLatencies: a row's RespSize beyond 32 bits, and a latency
// other than RespAt-ReqAt (which the record does not keep otherwise), read
// back as they were given, and an answer replaces them.
func TestRowSizesAndLatencies(t *testing.T) {
	s := New(Config{})
	rows := []Row{
		{Conn: 1, Status: protocol.StatusOK, ReqAt: ms(1), RespAt: ms(3), Req: 1, Resp: 2, RespSize: 5<<30 + 3, ReqSize: 6 << 30},
		{Conn: 1, Status: protocol.StatusOK, ReqAt: ms(1), RespAt: ms(3), Req: 1, Resp: 2, Latency: time.Millisecond},
		{Conn: 1, Status: protocol.StatusOK, ReqAt: ms(1), RespAt: ms(3), Req: 1, Resp: 2},
		{Conn: 1, Status: protocol.StatusNone, ReqAt: ms(1), Req: 1, Latency: time.Second, RespSize: -1},
		{Conn: 1, Status: protocol.StatusPending, ReqAt: ms(5), Req: 1, Latency: time.Second, RespSize: 1 << 40},
	}
	var seqs []uint64
	s.Update(func(tx *Tx) {
		tx.AddMessage(newMsg(1, protocol.C2S, ms(1), "{}"))
		tx.AddMessage(newMsg(1, protocol.S2C, ms(3), "{}"))
		for i := range rows {
			seqs = append(seqs, tx.AddRow(&rows[i]))
		}
	})
	want := []struct {
		size int
		lat  time.Duration
	}{{5<<30 + 3, 2 * time.Millisecond}, {0, time.Millisecond}, {0, 2 * time.Millisecond}, {-1, time.Second}, {1 << 40, time.Second}}
	for i, seq := range seqs {
		r, _ := s.Row(seq)
		if r.RespSize != want[i].size || r.Latency != want[i].lat || (i == 0 && r.ReqSize != 6<<30) {
			t.Errorf("row %d: RespSize %d Latency %v, want %d %v", i, r.RespSize, r.Latency, want[i].size, want[i].lat)
		}
	}
	resp := newMsg(1, protocol.S2C, ms(9), "{}")
	s.Update(func(tx *Tx) {
		resp.Seq = tx.AddMessage(resp)
		tx.Answer(seqs[4], resp)
	})
	if r, _ := s.Row(seqs[4]); r.RespSize != 2 || r.Latency != 4*time.Millisecond {
		t.Errorf("answered: RespSize %d Latency %v, want 2 4ms", r.RespSize, r.Latency)
	}
}

// TestTruncatedKeepsWhole: what the decoder found a truncated frame to be
// from all of its bytes, beyond what the kept bytes say (varlink's
// continues, mpv's pairing by order), reads back with the message, as a
// viewer that attaches late gets it in the feed's history; on a frame
// kept whole, whose bytes say it, nothing is kept aside.
func TestTruncatedKeepsWhole(t *testing.T) {
	s := New(Config{MaxMessages: 3})
	infos := []protocol.Info{{Kind: protocol.KindResponse, Continues: true}, {Kind: protocol.KindRequest, ByOrder: true},
		{Kind: protocol.KindResponse, Continues: true, ByOrder: true, IsError: true}}
	var seqs []uint64
	for i, in := range infos {
		m := newMsg(1, protocol.S2C, ms(i), `{"parameters":`)
		m.Frame.Size, m.Frame.Wire, m.Frame.Truncated, m.Info = 1<<20, 1<<20+1, true, in
		seq, _ := addLone(s, m)
		seqs = append(seqs, seq)
		got, ok := s.Message(seq)
		if !ok || got.Info.Continues != in.Continues || got.Info.ByOrder != in.ByOrder || got.Info.IsError != in.IsError || got.Frame.Size != 1<<20 {
			t.Errorf("truncated message %d: continues %v by order %v error %v size %d, want %+v, size %d", i, got.Info.Continues, got.Info.ByOrder, got.Info.IsError, got.Frame.Size, in, 1<<20)
		}
	}
	m := newMsg(1, protocol.S2C, ms(9), `{"continues":true}`)
	m.Info = protocol.Info{Kind: protocol.KindResponse, Continues: true}
	addLone(s, m) // evicts the first
	if _, ok := s.Message(seqs[0]); ok || len(s.aside) != 2 {
		t.Errorf("message 0 still stored (%v), or %d kept aside (want 2: the whole one needs none)", ok, len(s.aside))
	}
	s.Clear()
	if len(s.aside) != 0 {
		t.Errorf("%d kept aside after Clear", len(s.aside))
	}
}

// When a frame began (SetBegan) is kept aside, and its size, wire length
// and marks read back as they were; a message without one has none, and an
// evicted one's goes with it.
func TestSetBegan(t *testing.T) {
	s := New(Config{MaxMessages: 2})
	m := newMsg(1, protocol.C2S, ms(5), `PUT /x HTTP/1.1`)
	m.Frame.Size, m.Frame.Wire, m.Injected = 100, 102, true
	at := ms(1)
	var seq, other uint64
	s.Update(func(tx *Tx) {
		seq = tx.AddMessage(m)
		tx.SetBegan(seq, at)
		other = tx.AddMessage(newMsg(1, protocol.S2C, ms(6), `HTTP/1.1 200 OK`))
	})
	got, ok := s.Message(seq)
	if !ok || got.Frame.Size != 100 || got.Frame.Wire != 102 || !got.Injected {
		t.Errorf("the message read back: size %d, wire %d, injected %v", got.Frame.Size, got.Frame.Wire, got.Injected)
	}
	if b := s.Began(seq, other+1); len(b) != 1 || !b[seq].Equal(at) {
		t.Errorf("Began = %v, want %d at %v only", b, seq, at)
	}
	s.Update(func(tx *Tx) { tx.AddMessage(newMsg(1, protocol.C2S, ms(7), `GET / HTTP/1.1`)) }) // evicts seq
	if b := s.Began(0, other+2); len(b) != 0 {
		t.Errorf("after its message's eviction, Began = %v", b)
	}
}
