package query

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

func TestParseQuery(t *testing.T) {
	for _, bad := range []string{"status:maybe", "dir:up", "slow:>fast", "kind:thing"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	q, err := Parse(`method:add "two words" -id:3 slow:>=1s`)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.terms) != 4 || q.terms[3].kind != termText || q.terms[3].str != "two words" {
		t.Fatalf("terms %+v", q.terms)
	}
	if q.terms[1].kind != termID || !q.terms[1].neg || q.terms[2].dur != time.Second {
		t.Fatalf("terms %+v", q.terms)
	}
}

func TestContainsFold(t *testing.T) {
	for _, c := range []struct {
		hay, needle string
		want        bool
	}{
		{"Hello World", "world", true}, {"Hello World", "hello", true}, {"abc", "abcd", false},
		{"xxAxxAB", "ab", true}, {"", "a", false}, {"a", "", true}, {"WORLD", "worle", false},
	} {
		if got := containsFold([]byte(c.hay), c.needle); got != c.want {
			t.Errorf("containsFold(%q, %q) = %v", c.hay, c.needle, got)
		}
	}
}

func TestFilterStatusGap(t *testing.T) {
	st := store.New(store.Config{})
	var rows [2]uint64
	st.Update(func(tx *store.Tx) {
		for i := range rows {
			rows[i] = tx.AddRow(&store.Row{Conn: 1, Kind: protocol.KindRequest, Method: "m", Status: protocol.StatusPending})
			tx.SetStatus(rows[i], protocol.StatusNoReply)
		}
		tx.SetGap(rows[0])
	})
	for q, want := range map[string]uint64{"status:gap": rows[0], "status:noreply -status:gap": rows[1]} {
		pq, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		st.Rows(0, func(r store.Row) bool {
			if pq.MatchRow(st, &r, time.Now()) {
				got = append(got, r.Seq)
			}
			return true
		})
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s matched rows %v, want [%d]", q, got, want)
		}
	}
}

// is:injected finds what sockscope sent itself; is:withheld the frames it
// kept from a peer.
func TestFilterFlags(t *testing.T) {
	if _, err := Parse("is:sent"); err == nil {
		t.Error("is:sent parsed")
	}
	q, _ := Parse("is:injected")
	plain, inj := store.Row{Method: "m"}, store.Row{Method: "m", Injected: true}
	if q.MatchRow(nil, &plain, time.Now()) || !q.MatchRow(nil, &inj, time.Now()) {
		t.Error("is:injected matches the wrong rows")
	}
	q, _ = Parse("-is:injected")
	if !q.MatchRow(nil, &plain, time.Now()) || q.MatchRow(nil, &inj, time.Now()) {
		t.Error("-is:injected matches the wrong rows")
	}
	q, _ = Parse("is:withheld")
	if q.MatchMsg(&protocol.Message{}) || !q.MatchMsg(&protocol.Message{Withheld: true}) {
		t.Error("is:withheld matches the wrong messages")
	}
}

// In the exchanges list, is:withheld finds the rows one of whose frames
// sockscope kept from a peer: a resent request's reply (the client never
// asked again), a request it answered itself.
func TestFilterWithheldRows(t *testing.T) {
	st := store.New(store.Config{})
	at := time.Now()
	var resent, answered, plain uint64
	st.Update(func(tx *store.Tx) {
		msg := func(seq uint64, dir protocol.Dir, kind protocol.Kind, withheld bool) *protocol.Message {
			m := &protocol.Message{Seq: seq, Conn: 1, Dir: dir, At: at, Frame: protocol.Frame{Data: []byte("{}"), Size: 2},
				Info: protocol.Info{Kind: kind}, Withheld: withheld}
			tx.AddMessage(m)
			return m
		}
		resent = tx.AddRequest(msg(1, protocol.C2S, protocol.KindRequest, false), "add")
		tx.Answer(resent, msg(2, protocol.S2C, protocol.KindResponse, true))
		answered = tx.AddRequest(msg(3, protocol.C2S, protocol.KindRequest, true), "add")
		tx.Answer(answered, msg(4, protocol.S2C, protocol.KindResponse, false))
		plain = tx.AddRequest(msg(5, protocol.C2S, protocol.KindRequest, false), "add")
		tx.Answer(plain, msg(6, protocol.S2C, protocol.KindResponse, false))
	})
	for expr, want := range map[string][]uint64{"is:withheld": {resent, answered}, "-is:withheld": {plain}, "is:withheld,injected": {resent, answered}} {
		q, err := Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		st.Rows(0, func(r store.Row) bool {
			if q.MatchRow(st, &r, at) {
				got = append(got, r.Seq)
			}
			return true
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s matched rows %v, want %v", expr, got, want)
		}
	}
}

// The intervention flags: rows by their Act, messages by their Note; a
// frame held until --hold-timeout counts as held.
func TestFilterActs(t *testing.T) {
	acts := []protocol.Act{protocol.ActNone, protocol.ActHeld, protocol.ActEdited, protocol.ActDropped, protocol.ActFabricated,
		protocol.ActDelayed, protocol.ActDuplicated, protocol.ActClosed, protocol.ActTimeout}
	st := store.New(store.Config{})
	st.Update(func(tx *store.Tx) {
		for _, a := range acts {
			tx.AddRow(&store.Row{Conn: 1, Kind: protocol.KindRequest, Method: a.String(), Status: protocol.StatusPending, Act: a})
		}
	})
	for q, want := range map[string]string{
		"is:held": "held timeout", "is:edited": "edit", "is:dropped": "drop", "is:fabricated": "fab", "is:fab": "fab",
		"is:delayed": "delay", "is:duplicated": "dup", "is:closed": "close", "is:timeout": "timeout",
		"is:edited,dropped": "edit drop", "-is:held is:delayed,closed": "delay close", "is:duplicate": "",
	} {
		pq, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		var rows, msgs []string
		st.Rows(0, func(r store.Row) bool {
			if pq.MatchRow(st, &r, time.Now()) {
				rows = append(rows, r.Method)
			}
			return true
		})
		for _, a := range acts {
			m := protocol.Message{Conn: 1}
			if a != protocol.ActNone {
				m.Note = &protocol.Note{Act: a}
			}
			if pq.MatchMsg(&m) {
				msgs = append(msgs, a.String())
			}
		}
		if got := strings.Join(rows, " "); got != want {
			t.Errorf("%s: rows %q, want %q", q, got, want)
		}
		if got := strings.Join(msgs, " "); got != want {
			t.Errorf("%s: messages %q, want %q", q, got, want)
		}
	}
	if _, err := Parse("is:frobbed"); err == nil || !strings.Contains(err.Error(), "held") {
		t.Errorf("is:frobbed: %v", err)
	}
}

// MayMatchMsg judges a message by its head alone: a term other than text
// that fails rules it out; text terms, which need the body, are left
// open, whether they ask for a text or for its absence.
func TestMayMatchMsg(t *testing.T) {
	head := protocol.Message{Conn: 2, Dir: protocol.S2C, Info: protocol.Info{Kind: protocol.KindResponse, Method: []byte("200 OK")},
		Frame: protocol.Frame{Data: []byte("HTTP/1.1 200 OK\r\n\r\n")}}
	for q, want := range map[string]bool{
		"":                     true,
		`"token"`:              true,
		`-"HTTP"`:              true,
		`method:"GET /events"`: false,
		`kind:response`:        true,
		`kind:request "x"`:     false,
		`dir:c2s`:              false,
		`status:error`:         false,
		`conn:3`:               false,
		`status:ok "x"`:        true,
	} {
		pq, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := pq.MayMatchMsg(&head); got != want {
			t.Errorf("%q: MayMatchMsg = %v, want %v", q, got, want)
		}
	}
}

// Text with quotes in it is searched with \" in a quoted term; a quoted
// word: is text, not a field; an unquoted one that is no field is an
// error that says how to search it, not a term that matches nothing.
func TestParseTextTerms(t *testing.T) {
	for src, want := range map[string]struct {
		text string
		neg  bool
	}{
		`"\"rid\":1"`:      {`"rid":1`, false},
		`\"method\":\"add`: {`"method":"add`, false},
		`"http://x/a"`:     {"http://x/a", false},
		`-"methd:add"`:     {"methd:add", true},
		`"-x"`:             {"-x", false},
		`a\\b`:             {`a\b`, false},
		`Content-Type:`:    {"content-type:", false},
	} {
		q, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if len(q.terms) != 1 || q.terms[0].kind != termText || !strings.EqualFold(q.terms[0].str, want.text) || q.terms[0].neg != want.neg {
			t.Errorf("%s: terms %+v, want text %q (negated %v)", src, q.terms, want.text, want.neg)
		}
	}
	for _, bad := range []string{"methd:add", "http://x", `-size:>10`, `foo:"bar"`} {
		_, err := Parse(bad)
		if err == nil || !strings.Contains(err.Error(), "is not a field") || !strings.Contains(err.Error(), "quote it") {
			t.Errorf("%s: %v", bad, err)
			continue
		}
		// The fields it names are those the help lists (lat was left out).
		for _, f := range []string{"method", "id", "conn", "status", "dir", "kind", "slow", "lat", "is"} {
			if !strings.Contains(err.Error(), " "+f+" ") && !strings.Contains(err.Error(), "("+f+" ") && !strings.Contains(err.Error(), " "+f+")") {
				t.Errorf("%s: the error does not name the field %s: %v", bad, f, err)
			}
		}
	}
	q, _ := Parse(`"\"rid\":1"`)
	if !q.MatchMsg(&protocol.Message{Frame: protocol.Frame{Data: []byte(`{"rid":1,"method":"add"}`)}}) ||
		q.MatchMsg(&protocol.Message{Frame: protocol.Frame{Data: []byte(`{"rid":2,"x":"rid"}`)}}) {
		t.Error(`"\"rid\":1" matches the wrong frames`)
	}
}

// id: finds a JSON-RPC batch by any of its requests' ids (its id is the
// set of them) or by the whole set.
func TestFilterBatchID(t *testing.T) {
	batch := store.Row{Method: "batch(echo,fail)", ID: `[1,"a b",7]`}
	for q, want := range map[string]bool{`id:1`: true, `id:7`: true, `id:"a b"`: true, `id:"[1,\"a b\",7]"`: true, `id:2`: false, `id:a`: false} {
		pq, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := pq.MatchRow(nil, &batch, time.Now()); got != want {
			t.Errorf("%s on a batch with id %s: %v, want %v", q, batch.ID, got, want)
		}
	}
}

// TestSyntaxSaysWhereVerdictsAre: status:differs and its kin match in a
// replay's UI only (a Comparer bound); export's and replay's --help show
// Syntax, so it says so (export --filter status:differs of a replay's
// recording found nothing, its help promising a replay's verdict).
func TestSyntaxSaysWhereVerdictsAre(t *testing.T) {
	q, err := Parse("status:differs")
	if err != nil {
		t.Fatal(err)
	}
	if q.MatchMsg(&protocol.Message{Frame: protocol.Frame{Data: []byte(`{"rid":1}`)}}) {
		t.Error("status:differs matched without a replay's verdicts")
	}
	if !strings.Contains(Syntax, "in a replay's UI") {
		t.Errorf("Syntax does not say status:differs is for a replay's UI:\n%s", Syntax)
	}
}
