package protocol

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pairStep is one call on a Pairer and what it must answer, rendered by
// renderRequest, renderResponse, renderSettle or renderClose.
type pairStep struct {
	op   string // "req", "resp", "settle" or "close"
	dir  Dir
	id   string // raw JSON id
	at   int    // milliseconds after t0
	tok  uint64
	want string
}

// t0 is a read time, in nanoseconds (the Pairer orders any clock).
const t0 = int64(1_735_787_045) * int64(time.Second)

func ms(n int) int64 { return t0 + int64(n)*int64(time.Millisecond) }

func req(dir Dir, id string, at int, tok uint64, want string) pairStep {
	return pairStep{op: "req", dir: dir, id: id, at: at, tok: tok, want: want}
}

func resp(dir Dir, id string, at int, tok uint64, want string) pairStep {
	return pairStep{op: "resp", dir: dir, id: id, at: at, tok: tok, want: want}
}

func settle(dir Dir, upTo int, want string) pairStep {
	return pairStep{op: "settle", dir: dir, at: upTo, want: want}
}

func closeP(want string) pairStep { return pairStep{op: "close", want: want} }

func toks(ps []Pending) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprint(p.Token))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func renderRequest(r RequestResult) string {
	var parts []string
	if r.Answered {
		parts = append(parts, fmt.Sprintf("answered=%d", r.Reply.Token))
	}
	if r.Duplicate {
		parts = append(parts, fmt.Sprintf("dup=%d", r.Replaced.Token))
	}
	if len(r.Evicted) > 0 {
		parts = append(parts, "evicted="+toks(r.Evicted))
	}
	if len(parts) == 0 {
		return "pending"
	}
	return strings.Join(parts, " ")
}

func renderResponse(p Pending, ok bool) string {
	switch {
	case ok:
		return fmt.Sprintf("paired=%d", p.Token)
	case p.Token != 0:
		return fmt.Sprintf("early displaced=%d", p.Token)
	}
	return "early"
}

// pairTest is a case of TestPairer: steps on a Pairer of bound max.
type pairTest struct {
	name    string
	max     int
	steps   []pairStep
	wantLen int
}

func TestPairer(t *testing.T) {
	tests := []pairTest{
		{name: "in order", steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			resp(S2C, `1`, 1, 2, "paired=1"),
			closeP("noreply=[] orphans=[]"),
		}},
		{name: "out of order replies", steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			req(C2S, `2`, 1, 2, "pending"),
			req(C2S, `3`, 2, 3, "pending"),
			resp(S2C, `2`, 3, 4, "paired=2"),
			resp(S2C, `3`, 4, 5, "paired=3"),
			resp(S2C, `1`, 5, 6, "paired=1"),
		}},
		{name: "duplicate id in flight", wantLen: 1, steps: []pairStep{
			req(C2S, `7`, 0, 1, "pending"),
			req(C2S, `7`, 1, 2, "dup=1"),
			req(C2S, `8`, 2, 3, "pending"),
			resp(S2C, `7`, 3, 4, "paired=2"),
			resp(S2C, `7`, 4, 5, "early"),
		}},
		{name: "number and string ids differ", steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			req(C2S, `"1"`, 1, 2, "pending"),
			resp(S2C, `"1"`, 2, 3, "paired=2"),
			resp(S2C, `1`, 3, 4, "paired=1"),
		}},
		{name: "object ids compare as JSON values", wantLen: 1, steps: []pairStep{
			req(C2S, `{"a":1,"b":"\u00e9"}`, 0, 1, "pending"),
			resp(S2C, `{"b": "é", "a": 1.0}`, 1, 2, "paired=1"),
			resp(S2C, `{"a":1,"b":"é"}`, 2, 3, "early"),
			settle(C2S, 2, "orphans=[3]"),
			req(C2S, `null`, 3, 4, "pending"),
		}},
		{name: "both directions ask with overlapping ids (LSP)", steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			req(S2C, `1`, 1, 2, "pending"),
			req(S2C, `2`, 2, 3, "pending"),
			resp(C2S, `1`, 3, 4, "paired=2"),
			resp(S2C, `1`, 4, 5, "paired=1"),
			resp(C2S, `2`, 5, 6, "paired=3"),
		}},
		{name: "reply in the asking direction does not pair", steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			resp(C2S, `1`, 1, 2, "early"),
			closeP("noreply=[1] orphans=[2]"),
		}},
		{name: "orphan settled by Settle", steps: []pairStep{
			resp(S2C, `9`, 10, 5, "early"),
			settle(C2S, 9, "orphans=[]"),
			settle(S2C, 20, "orphans=[]"),
			settle(C2S, 10, "orphans=[5]"),
			settle(C2S, 30, "orphans=[]"),
			closeP("noreply=[] orphans=[]"),
		}},
		{name: "orphans settled in read order", steps: []pairStep{
			resp(S2C, `3`, 12, 7, "early"),
			resp(S2C, `1`, 10, 5, "early"),
			resp(S2C, `2`, 11, 6, "early"),
			resp(S2C, `4`, 40, 8, "early"),
			settle(C2S, 20, "orphans=[5 6 7]"),
			closeP("noreply=[] orphans=[8]"),
		}},
		{name: "orphan settled by Close", steps: []pairStep{
			resp(S2C, `9`, 10, 5, "early"),
			resp(C2S, `9`, 11, 6, "early"),
			closeP("noreply=[] orphans=[5 6]"),
		}},
		{name: "no reply at Close, in arrival order", steps: []pairStep{
			req(C2S, `3`, 0, 1, "pending"),
			req(C2S, `1`, 1, 2, "pending"),
			req(S2C, `2`, 2, 3, "pending"),
			req(C2S, `2`, 3, 4, "pending"),
			resp(S2C, `1`, 4, 5, "paired=2"),
			closeP("noreply=[1 3 4] orphans=[]"),
			closeP("noreply=[] orphans=[]"),
		}},
		{name: "usable after Close", wantLen: 1, steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			closeP("noreply=[1] orphans=[]"),
			req(C2S, `1`, 1, 2, "pending"),
			req(C2S, `2`, 2, 3, "pending"),
			resp(S2C, `1`, 3, 4, "paired=2"),
		}},
		{name: "pending bound evicts the oldest", max: 2, wantLen: 2, steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			req(C2S, `2`, 1, 2, "pending"),
			req(C2S, `3`, 2, 3, "evicted=[1]"),
			resp(S2C, `1`, 3, 4, "early"),
			resp(S2C, `2`, 4, 5, "paired=2"),
			req(C2S, `4`, 5, 6, "pending"),
			req(C2S, `5`, 6, 7, "evicted=[3]"),
			settle(C2S, 6, "orphans=[4]"),
		}},
		{name: "bound ignores answered and replaced requests", max: 2, wantLen: 2, steps: []pairStep{
			req(C2S, `1`, 0, 1, "pending"),
			resp(S2C, `1`, 1, 2, "paired=1"),
			req(C2S, `2`, 2, 3, "pending"),
			req(C2S, `2`, 3, 4, "dup=3"),
			req(C2S, `3`, 4, 5, "pending"),
			req(C2S, `4`, 5, 6, "evicted=[4]"),
			closeP("noreply=[5 6] orphans=[]"),
			req(C2S, `5`, 6, 7, "pending"),
			req(C2S, `6`, 7, 8, "pending"),
		}},
		{name: "early reply pairs when its request arrives", steps: []pairStep{
			resp(S2C, `1`, 20, 7, "early"),
			req(C2S, `1`, 10, 1, "answered=7"),
			settle(C2S, 30, "orphans=[]"),
			closeP("noreply=[] orphans=[]"),
		}},
		{name: "early reply read at the same instant pairs", steps: []pairStep{
			resp(S2C, `1`, 10, 7, "early"),
			req(C2S, `1`, 10, 1, "answered=7"),
		}},
		{name: "early reply in the other direction (LSP)", steps: []pairStep{
			resp(C2S, `1`, 20, 7, "early"),
			req(C2S, `1`, 15, 1, "pending"),
			req(S2C, `1`, 10, 2, "answered=7"),
			resp(S2C, `1`, 25, 8, "paired=1"),
		}},
		{name: "early reply becomes an orphan via Settle", wantLen: 1, steps: []pairStep{
			resp(S2C, `1`, 20, 7, "early"),
			settle(C2S, 19, "orphans=[]"),
			settle(C2S, 25, "orphans=[7]"),
			req(C2S, `1`, 30, 1, "pending"),
		}},
		{name: "early reply older than the request does not pair", steps: []pairStep{
			resp(S2C, `1`, 10, 7, "early"),
			req(C2S, `1`, 20, 1, "pending"),
			resp(S2C, `1`, 30, 8, "paired=1"),
			settle(C2S, 30, "orphans=[7]"),
		}},
		{name: "second early reply with one id displaces the first", steps: []pairStep{
			resp(S2C, `1`, 10, 7, "early"),
			resp(S2C, `1`, 11, 8, "early displaced=7"),
			req(C2S, `1`, 5, 1, "answered=8"),
			closeP("noreply=[] orphans=[]"),
		}},
	}
	// Each case runs with Request, then with TryRequest first (and Request
	// when it declines), which must come to the same.
	for _, try := range []bool{false, true} {
		for _, tt := range tests {
			pairCase(t, tt, try)
		}
	}
}

// pairCase runs one case of TestPairer; with try, requests go to
// TryRequest first.
func pairCase(t *testing.T, tt pairTest, try bool) {
	t.Helper()
	t.Run(fmt.Sprintf("%s/try=%v", tt.name, try), func(t *testing.T) {
		p := NewPairer(tt.max)
		for i, s := range tt.steps {
			var got string
			switch s.op {
			case "req":
				if try && p.TryRequest(s.dir, []byte(s.id), ms(s.at), s.tok) {
					got = renderRequest(RequestResult{})
				} else {
					got = renderRequest(p.Request(s.dir, []byte(s.id), ms(s.at), s.tok))
				}
			case "resp":
				got = renderResponse(p.Response(s.dir, []byte(s.id), ms(s.at), s.tok))
			case "settle":
				got = "orphans=" + toks(p.Settle(s.dir, ms(s.at)))
			case "close":
				nr, or := p.Close()
				got = "noreply=" + toks(nr) + " orphans=" + toks(or)
			}
			if got != s.want {
				t.Fatalf("step %d (%s %v %s @%d tok %d) = %q, want %q", i, s.op, s.dir, s.id, s.at, s.tok, got, s.want)
			}
		}
		if got := p.Len(); got != tt.wantLen {
			t.Errorf("Len() = %d, want %d", got, tt.wantLen)
		}
	})
}

func TestPairerKeepsRequestDetails(t *testing.T) {
	p := NewPairer(0)
	p.Request(C2S, []byte(`5`), ms(3), 11)
	got, ok := p.Response(S2C, []byte(`5`), ms(9), 12)
	if want := (Pending{Token: 11, At: ms(3), Dir: C2S}); !ok || got != want {
		t.Fatalf("Response = %+v, %v; want %+v, true", got, ok, want)
	}
	p.Response(S2C, []byte(`6`), ms(9), 13)
	r := p.Request(C2S, []byte(`6`), ms(4), 14)
	if want := (Pending{Token: 13, At: ms(9), Dir: S2C}); !r.Answered || r.Reply != want {
		t.Fatalf("Request answered by %+v (%v), want %+v", r.Reply, r.Answered, want)
	}
}

func TestPairerDefaultBound(t *testing.T) {
	p := NewPairer(0)
	var evicted []Pending
	for i := range DefaultMaxPending + 3 {
		r := p.Request(C2S, fmt.Appendf(nil, "%d", i), ms(i), uint64(i+1))
		evicted = append(evicted, r.Evicted...)
	}
	// Past the bound the oldest tenth go at once (then two more arrive).
	want := DefaultMaxPending/10 + 1
	if len(evicted) != want || evicted[0].Token != 1 || evicted[want-1].Token != uint64(want) {
		t.Errorf("evicted %d requests, %v…, want the oldest %d", len(evicted), evicted[:min(3, len(evicted))], want)
	}
	if p.Len() != DefaultMaxPending+3-want {
		t.Errorf("Len() = %d, want %d", p.Len(), DefaultMaxPending+3-want)
	}
}

// TestPairerManyAnswered answers most of a long stream of requests and checks
// that the ones left are reported at Close in arrival order, whatever the
// internal bookkeeping did meanwhile.
func TestPairerManyAnswered(t *testing.T) {
	p := NewPairer(100)
	var want []uint64
	for i := 1; i <= 5000; i++ {
		id := fmt.Appendf(nil, "%d", i)
		p.Request(C2S, id, ms(i), uint64(i))
		if i%97 == 0 {
			want = append(want, uint64(i))
			continue
		}
		if _, ok := p.Response(S2C, id, ms(i), uint64(100000+i)); !ok {
			t.Fatalf("response %d not paired", i)
		}
	}
	if p.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", p.Len(), len(want))
	}
	nr, or := p.Close()
	var got []uint64
	for _, n := range nr {
		got = append(got, n.Token)
	}
	if !slices.Equal(got, want) || len(or) != 0 {
		t.Errorf("Close() = %v, %v; want %v, none", got, or, want)
	}
}

// TestNthByRead: the selection puts the n+1 read first before the others,
// whatever the input's order and however many share a read time.
func TestNthByRead(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	at := time.Now().UnixNano()
	for round := range 300 {
		ps := make([]Pending, 1+rnd.IntN(200))
		for i := range ps {
			ps[i] = Pending{Token: uint64(i), At: at + int64(rnd.IntN(20))}
		}
		rnd.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		want := slices.Clone(ps)
		sortByRead(want)
		n := rnd.IntN(len(ps))
		if got := nthByRead(ps, n); got != want[n] {
			t.Fatalf("round %d: nth(%d) = %v, want %v", round, n, got, want[n])
		}
		first := slices.Clone(ps[:n+1])
		sortByRead(first)
		if !slices.Equal(first, want[:n+1]) {
			t.Fatalf("round %d: the first %d are not the %d read first", round, n+1, n+1)
		}
	}
}

// TestIntKey compares intKey with strconv's reading of the canonical
// integers, for ids alone in their array and followed by other bytes
// (digits, which the word read of a short id must leave out).
func TestIntKey(t *testing.T) {
	var ids []string
	for _, n := range []string{"0", "7", "10", "99", "12345678", "99999999", "100000000", "123456789012345678", "1234567890123456789"} {
		ids = append(ids, n, "-"+n, "0"+n, n+"0", n[:len(n)-1]+"a", n+".0", " "+n, n+" ")
	}
	for c := range 256 {
		ids = append(ids, string(rune(c))[:1], "1"+string([]byte{byte(c)}), string([]byte{byte(c)})+"2345678")
	}
	for _, id := range ids {
		want, err := strconv.ParseUint(strings.TrimPrefix(id, "-"), 10, 64)
		canon := err == nil && len(strings.TrimPrefix(id, "-")) <= 18 && strconv.FormatUint(want, 10) == strings.TrimPrefix(id, "-") && id != "-0"
		if strings.HasPrefix(id, "-") {
			want |= 1 << 62
		}
		for _, after := range []string{"", "9", "12345678", "\xff\xff\xff\xff\xff\xff\xff\xff"} {
			buf := []byte(id + after)
			for _, d := range []Dir{C2S, S2C} {
				got, ok := intKey(d, buf[:len(id)])
				w := want | uint64(d&1)<<63
				if ok != canon || ok && got != w {
					t.Fatalf("intKey(%v, %q) before %q = %#x, %v; want %#x, %v", d, id, after, got, ok, w, canon)
				}
			}
		}
	}
}

// TestUnansweredAllocs: giving up the oldest tenth of the requests at the
// pending bound, again and again (a peer that never answers, or replies the
// decoder dropped), allocates nothing once the Pairer has grown.
func TestUnansweredAllocs(t *testing.T) {
	const max = 1000
	p := NewPairer(max)
	var id []byte
	i := 0
	request := func() int {
		i++
		id = strconv.AppendInt(id[:0], int64(i), 10)
		return len(p.Request(C2S, id, int64(i), uint64(i)).Evicted)
	}
	for evicted := 0; evicted == 0; { // up to the bound, and its first eviction
		evicted = request()
	}
	evicted := 0
	if n := testing.AllocsPerRun(1, func() {
		for range 5 * max / 10 { // five evictions
			evicted += request()
		}
	}); n != 0 {
		t.Errorf("%.0f allocations in %d requests at the bound, want 0", n, 5*max/10)
	}
	if evicted == 0 {
		t.Error("nothing evicted")
	}
}
