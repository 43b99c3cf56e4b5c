package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
)

// TestAddRequestIsAddRow: AddRequest stores what AddRow stores of the row
// an observer builds of a request (observe's rowOf), and counts it alike:
// the row read back, its connection's and methods' statistics and the
// totals are the same, whatever the id's length, the time's location, the
// note and the flags.
func TestAddRequestIsAddRow(t *testing.T) {
	long := `"` + strings.Repeat("x", idInline+5) + `"`
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.Local)
	cases := []struct {
		name   string
		m      protocol.Message
		method string
	}{
		{"plain", protocol.Message{Conn: 1, Dir: protocol.C2S, At: ms(1), Info: protocol.Info{Kind: protocol.KindRequest, ID: []byte("7")}}, "echo"},
		{"long id, local time", protocol.Message{Conn: 2, Dir: protocol.S2C, At: at, Info: protocol.Info{Kind: protocol.KindRequest, ID: []byte(long)}}, "call/long"},
		{"injected, noted", protocol.Message{Conn: 1, Dir: protocol.C2S, At: ms(2), Injected: true,
			Note: &protocol.Note{Act: protocol.ActEdited, Rule: "r"}, Info: protocol.Info{Kind: protocol.KindRequest, ID: []byte(`"a"`)}}, "echo"},
		{"no method, zero time", protocol.Message{Conn: 3, Dir: protocol.C2S, Info: protocol.Info{Kind: protocol.KindRequest, ID: []byte("-1")}}, ""},
	}
	a, b := New(Config{}), New(Config{})
	for _, c := range cases {
		var rowA, rowB uint64
		add := func(s *Store, viaRow bool) (row uint64) {
			s.Update(func(tx *Tx) {
				m := c.m
				m.Frame = protocol.Frame{Data: []byte(`{"id":1}`), Size: 8, Wire: 9}
				m.Seq = tx.AddMessage(&m)
				method := tx.Intern([]byte(c.method))
				if !viaRow {
					row = tx.AddRequest(&m, method)
					return
				}
				var act protocol.Act
				if m.Note != nil {
					act = m.Note.Act
				}
				row = tx.AddRow(&Row{Conn: m.Conn, Dir: m.Dir, Kind: m.Info.Kind, ID: string(m.Info.ID),
					Method: method, Status: protocol.StatusPending, Req: m.Seq, ReqAt: m.At,
					ReqSize: m.Frame.Size, Injected: m.Injected, Act: act})
			})
			return row
		}
		rowA, rowB = add(a, true), add(b, false)
		ra, _ := a.Row(rowA)
		rb, ok := b.Row(rowB)
		// Each store reads times back against its own epoch's monotonic
		// reading: compare them without it.
		ra.ReqAt, rb.ReqAt = ra.ReqAt.Round(0), rb.ReqAt.Round(0)
		if !ok || fmt.Sprintf("%+v", ra) != fmt.Sprintf("%+v", rb) || ra.ReqAt.Location() != rb.ReqAt.Location() {
			t.Errorf("%s: AddRequest's row\n%+v\nAddRow's\n%+v", c.name, rb, ra)
		}
		ca, _ := a.Conn(c.m.Conn)
		cb, _ := b.Conn(c.m.Conn)
		if fmt.Sprintf("%+v", ca) != fmt.Sprintf("%+v", cb) {
			t.Errorf("%s: connection %+v, want %+v", c.name, cb, ca)
		}
		if ma, mb := fmt.Sprintf("%+v", a.Methods(c.m.Conn)), fmt.Sprintf("%+v", b.Methods(c.m.Conn)); ma != mb {
			t.Errorf("%s: methods %s, want %s", c.name, mb, ma)
		}
	}
	if ta, tb := a.Totals(), b.Totals(); ta != tb {
		t.Errorf("totals %+v, want %+v", tb, ta)
	}
}
