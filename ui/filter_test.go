package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"sockscope/protocol"
	"sockscope/store"
)

// shown returns the methods (or statuses for rows without one) the list holds.
func shown(t *testing.T, m Model) []store.Row {
	t.Helper()
	var rows []store.Row
	for i := 0; i < m.list.idx.len(); i++ {
		rows = append(rows, rowOf(t, m, m.list.idx.at(i)))
	}
	return rows
}

func typeFilter(t *testing.T, m Model, q string) Model {
	t.Helper()
	m = press(t, m, "/")
	for _, r := range q {
		k := string(r)
		if r == ' ' {
			k = "space"
		}
		m = press(t, m, k)
	}
	return press(t, m, "enter")
}

func TestFilterTerms(t *testing.T) {
	cases := []struct {
		q    string
		want func(r store.Row) bool
		n    int
	}{
		{"method:add", func(r store.Row) bool { return r.Method == "add" }, 7},
		{"status:error", func(r store.Row) bool { return r.Status == protocol.StatusError }, 1},
		{"status:noreply,orphan", func(r store.Row) bool {
			return r.Status == protocol.StatusNoReply || r.Status == protocol.StatusOrphan
		}, 2},
		{"slow:>100ms", func(r store.Row) bool { return r.Latency > 100*time.Millisecond || r.Status == protocol.StatusPending }, 5},
		{"lat:<2ms", func(r store.Row) bool { return r.Latency < 2*time.Millisecond && r.Status == protocol.StatusOK }, 1},
		{"dir:s2c", func(r store.Row) bool { return r.Dir == protocol.S2C }, 3},
		{"conn:2", func(r store.Row) bool { return r.Conn == 2 }, 6},
		{"conn:node", func(r store.Row) bool { return r.Conn == 1 }, 11},
		{"id:u-7", func(r store.Row) bool { return r.ID == `"u-7"` }, 1},
		{"kind:notification", func(r store.Row) bool { return r.Kind == protocol.KindNotification }, 2},
		{"lovelace", func(r store.Row) bool { return r.Method == "getUser" }, 1},
		{"Lovelace", func(r store.Row) bool { return r.Method == "getUser" }, 1},
		{"LOVELACE", func(r store.Row) bool { return false }, 0},
		{"method:add -status:ok", func(r store.Row) bool { return r.Method == "add" && r.Status != protocol.StatusOK }, 1},
		{`"division by"`, func(r store.Row) bool { return r.Method == "divide" }, 1},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			m := newTestModel(t, demoStore(t), 80, 24)
			m = typeFilter(t, m, c.q)
			rows := shown(t, m)
			if len(rows) != c.n {
				t.Errorf("%d rows match, want %d", len(rows), c.n)
			}
			for _, r := range rows {
				if !c.want(r) {
					t.Errorf("row %d (%s %v) should not match", r.Seq, r.Method, r.Status)
				}
			}
			if !strings.Contains(view(m), "filter: "+strings.Trim(c.q, `"`)) && !strings.Contains(view(m), "filter: "+c.q) {
				t.Errorf("the active filter is not visible:\n%s", view(m))
			}
		})
	}
}

func TestFilterEditing(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "/", "m", "e", "t", "h", "o", "d", ":", "a", "d", "d")
	if !m.filterEditing() || m.list.idx.len() != 7 {
		t.Fatalf("filters as you type: editing=%v rows=%d", m.filterEditing(), m.list.idx.len())
	}
	if !strings.Contains(view(m), "/method:add") {
		t.Fatal("the filter being typed is not shown")
	}
	m = press(t, m, "backspace", "backspace", "backspace")
	if m.list.idx.len() != 17 {
		t.Fatalf("method: (empty value) is free text matching all? rows=%d", m.list.idx.len())
	}
	m = press(t, m, "ctrl+u", "s", "t", "a", "t", "u", "s", ":", "b", "o", "g", "u", "s")
	if m.filter.err == "" || !strings.Contains(view(m), "status \"bogus\"") {
		t.Fatalf("a bad term is not reported: %q", m.filter.err)
	}
	m = press(t, m, "esc")
	if m.filterEditing() || m.filter.active() || !m.list.idx.all() {
		t.Fatal("esc while typing clears the filter")
	}
	m = typeFilter(t, m, "status:error")
	if m.list.idx.len() != 1 {
		t.Fatalf("status:error: %d rows", m.list.idx.len())
	}
	m = press(t, m, "esc")
	if m.filter.active() || m.list.idx.len() != 17 {
		t.Fatal("esc clears the applied filter")
	}
}

// A pending row that did not match must appear once its answer makes it
// match; and a selection made under a filter survives clearing it.
func TestFilterSeesLateAnswers(t *testing.T) {
	st := demoStore(t)
	m := newTestModel(t, st, 80, 24)
	m = typeFilter(t, m, "status:ok method:add")
	if m.list.idx.len() != 6 {
		t.Fatalf("%d rows", m.list.idx.len())
	}
	_, next := st.RowBounds()
	pending := next - 1
	st.Update(func(tx *store.Tx) {
		(&filler{st: st, tx: tx}).answer(pending, 1, protocol.S2C, t0.Add(2*time.Second), `{"rid":9,"success":true,"result":42}`)
	})
	m = update(t, m, tickMsg(t0))
	if m.list.idx.len() != 7 || m.list.idx.at(6) != pending {
		t.Fatalf("answered row %d not added: %d rows", pending, m.list.idx.len())
	}
	m = press(t, m, "g", "j")
	sel := m.list.sel
	m = press(t, m, "esc")
	if m.list.sel != sel {
		t.Fatalf("clearing the filter moved the selection from %d to %d", sel, m.list.sel)
	}
}

// A filter over many rows is built in budgeted steps and ends up exact.
func TestFilterBuildsInSteps(t *testing.T) {
	st := store.New(store.Config{})
	const n = 30000
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		for i := 0; i < n; i++ {
			method := "ping"
			if i%7 == 0 {
				method = "add"
			}
			at := t0.Add(time.Duration(i) * time.Microsecond)
			row := f.request(1, protocol.C2S, at, `{"rid":1,"method":"`+method+`"}`)
			f.answer(row, 1, protocol.S2C, at, `{"rid":1,"success":true}`)
		}
	})
	m := newTestModel(t, st, 80, 24)
	// A clock that moves 1ms per reading: each step stops after a few batches.
	var tick time.Duration
	m.c.now = func() time.Time { tick += time.Millisecond; return t0.Add(tick) }
	m = press(t, m, "/")
	for _, k := range "method:add" {
		tm, _ := m.Update(keyMsg(string(k)))
		m = tm.(Model)
	}
	if !m.list.idx.scanning() {
		t.Fatal("the whole index was built in one key press")
	}
	if !strings.Contains(view(m), "filtering") {
		t.Fatal("no progress shown while filtering")
	}
	steps := 0
	for m.list.idx.scanning() {
		tm, _ := m.Update(scanMsg{m.list.scanID})
		m = tm.(Model)
		if steps++; steps > n {
			t.Fatal("scan does not finish")
		}
	}
	if want := (n + 6) / 7; m.list.idx.len() != want {
		t.Fatalf("%d rows match, want %d", m.list.idx.len(), want)
	}
}

// A filter applied while not following leaves no blank rows below the last
// match while earlier matches hide above it.
func TestFilterKeepsListFull(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	m = press(t, m, "g")
	m = typeFilter(t, m, "kind:request")
	n := m.list.idx.len()
	si, ti := m.list.positions()
	if n > m.list.height && ti > n-m.list.height {
		t.Fatalf("top at %d of %d rows with %d on screen: blank rows below the last (sel %d)", ti, n, m.list.height, si)
	}
}

// Enter on a filter that does not parse keeps the line open with its
// error and leaves the filter applied before the line was opened (it
// applied the last prefix that parsed: slow:>10ms for slow:>10msx).
func TestFilterEnterOnErrorKeepsLine(t *testing.T) {
	typeKeys := func(m Model, s string) Model {
		for _, r := range s {
			k := string(r)
			if r == ' ' {
				k = "space"
			}
			m = press(t, m, k)
		}
		return m
	}
	m := newTestModel(t, demoStore(t), 120, 24)
	m = typeKeys(press(t, m, "/"), "slow:>10msx")
	if m.filter.err == "" || !m.filter.active() {
		t.Fatalf("typing: err %q, the prefix previewed %v", m.filter.err, m.filter.active())
	}
	m = press(t, m, "enter")
	if !m.filterEditing() || m.filter.err == "" || m.filter.active() || m.list.idx.len() != 17 {
		t.Fatalf("enter on slow:>10msx: editing %v, err %q, applied %q, %d rows", m.filterEditing(), m.filter.err, m.filter.applied.Src, m.list.idx.len())
	}
	if v := view(m); !strings.Contains(v, "/slow:>10msx") || strings.Contains(v, "filter: slow") {
		t.Fatalf("the line and its error should stay:\n%s", v)
	}
	m = press(t, m, "esc")

	m = typeFilter(t, m, "method:add")
	m = typeKeys(press(t, m, "/"), " slow:>abc")
	m = press(t, m, "enter")
	if !m.filterEditing() || m.filter.err == "" || m.filter.applied.Src != "method:add" || m.list.idx.len() != 7 {
		t.Fatalf("enter on method:add slow:>abc: editing %v, err %q, applied %q, %d rows", m.filterEditing(), m.filter.err, m.filter.applied.Src, m.list.idx.len())
	}
	m = press(t, m, "backspace", "backspace", "backspace", "1", "0", "0", "m", "s", "enter")
	if m.filterEditing() || m.filter.applied.Src != "method:add slow:>100ms" {
		t.Fatalf("mended, enter applies: editing %v, applied %q", m.filterEditing(), m.filter.applied.Src)
	}
}

// listPane is the list pane's column of the screen, its lines trimmed and
// joined with spaces.
func listPane(m Model) string {
	l := m.layout()
	var parts []string
	for _, line := range strings.Split(view(m), "\n")[l.list.y : l.list.y+l.list.h] {
		parts = append(parts, strings.TrimSpace(ansi.Cut(line, l.list.x, l.list.x+l.list.w)))
	}
	return strings.Join(parts, " ")
}

// A filter's error that does not fit beside the line goes under it, in
// full; the list gives it the lines it takes.
func TestFilterErrorShownInFull(t *testing.T) {
	for _, w := range []int{80, 120, 160} {
		m := newTestModel(t, demoStore(t), w, 24)
		m = press(t, m, "/", "s", "t", "a", "t", "u", "s", ":", "b", "o", "g", "u", "s")
		if m.filter.err == "" {
			t.Fatal("status:bogus parses")
		}
		if p := listPane(m); !strings.Contains(p, "/status:bogus▏") || !strings.Contains(p, m.filter.err) {
			t.Errorf("%d columns: the error %q is not shown in full:\n%s", w, m.filter.err, view(m))
		}
		l := m.layout()
		if m.list.height != l.list.h-2-l.filterLines || l.filterLines < 1 {
			t.Errorf("%d columns: the list has %d lines for its rows under %d filter lines in %d", w, m.list.height, l.filterLines, l.list.h)
		}
		m = press(t, m, "ctrl+u")
		if l := m.layout(); l.filterLines != 1 {
			t.Errorf("%d columns: %d filter lines once the error is gone", w, l.filterLines)
		}
	}
}
