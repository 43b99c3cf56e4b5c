package ui

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"sockscope/protocol"
	"sockscope/replay"
	"sockscope/store"
)

// replayFixture is a replay's own capture: on connection 1, adds whose new
// answers are one more than the recorded ones (except add 1, and add 5,
// which is still being compared), a request that got no reply then or now,
// and a notification.
func replayFixture(t testing.TB) (*store.Store, *replay.Live, replay.Compared) {
	st := store.New(store.Config{})
	ig, _ := replay.ParseIgnore([]string{"time"})
	live := replay.NewLive("/tmp/rec/seed.jsonl", "unix:/tmp/plus.sock", ig, []string{"rid"})
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var pending replay.Compared
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		tx.OpenConn(store.Conn{ID: 1, Client: "replay of conn 3", Upstream: "unix:/tmp/plus.sock", Opened: t0})
		at := t0.Add(ms(5))
		f.lone(1, protocol.C2S, at, `{"action":"register","methods":["add"]}`, protocol.StatusNone)
		for i := 1; i <= 5; i++ {
			at = at.Add(ms(20))
			req := fmt.Sprintf(`{"rid":%d,"method":"add","args":[%d,%d]}`, i, i, i)
			then := fmt.Sprintf(`{"success":true,"rid":%d,"data":%d,"time":"12:00:0%d"}`, i, 2*i, i)
			sum := 2*i + 1
			if i == 1 {
				sum = 2
			}
			now := fmt.Sprintf(`{"success":true,"rid":%d,"data":%d,"time":"15:09:2%d"}`, i, sum, i)
			row := f.request(1, protocol.C2S, at, req)
			f.answer(row, 1, protocol.S2C, at.Add(ms(2)), now)
			c := replay.Compared{RecordedConn: 3, Conn: 1, Dir: "c2s", ID: fmt.Sprint(i), Method: "add", Then: "ok", Now: "ok",
				LatencyThen: ms(1), LatencyNow: ms(2), ThenResp: []byte(then), NowResp: []byte(now)}
			c.Diff = replay.Diff(c.ThenResp, c.NowResp, ig, []string{"rid"})
			if len(c.Diff) > 0 {
				c.Verdict = replay.Differs
			}
			live.Expect(1, c.ID)
			if i == 5 {
				pending = c
				continue
			}
			live.Record(c)
		}
		at = at.Add(ms(20))
		row := f.request(1, protocol.C2S, at, `{"rid":6,"method":"never","args":[]}`)
		tx.SetStatus(row, protocol.StatusNoReply)
		live.Expect(1, "6")
		live.Record(replay.Compared{Conn: 1, ID: "6", Method: "never", Then: "no-reply", Now: "no-reply"})
	})
	return st, live, pending
}

func newReplayModel(t testing.TB, st *store.Store, live *replay.Live, w, h int) Model {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	m := New(st, Options{Replay: live})
	m.c.now = func() time.Time { return t0.Add(3 * time.Second) }
	m.c.dir = t.TempDir()
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, tickMsg(t0))
}

// The replay's capture in the UI, styles stripped: the list flags each
// compared row (differs $.data, same, comparing), the status bar says the
// file, the server and how far the comparison is; the detail pane of a
// differing add shows the paths and the recorded and new responses, side
// by side when wide, stacked when narrow, ≠ on what differs and · on what
// is ignored (the time, the id); status:differs lists the differing adds.
// Regenerate with go test ./ui -update.
func TestGoldenReplay(t *testing.T) {
	for _, sz := range [][2]int{{80, 30}, {160, 40}, {250, 36}} {
		for _, s := range []struct {
			name string
			keys []string
		}{
			{"list", []string{"g"}},
			{"differs", []string{"g", "j", "j", "enter"}},
			{"noreply", []string{"g", "j", "j", "j", "j", "j", "j", "enter"}},
			// g: not following, whose detail pane may lag on a busy machine.
			{"filter", append(append([]string{"/"}, strings.Split("status:differs", "")...), "enter", "g")},
		} {
			t.Run(fmt.Sprintf("%dx%d/%s", sz[0], sz[1], s.name), func(t *testing.T) {
				st, live, _ := replayFixture(t)
				m := newReplayModel(t, st, live, sz[0], sz[1])
				m = press(t, m, s.keys...)
				golden.RequireEqual(t, []byte(view(m)))
			})
		}
	}
}

// A row whose verdict comes after its reply joins the status:differs list
// when the verdict is in; the status bar counts it; the detail pane,
// showing it while it was compared, shows the diff once it is.
func TestReplayVerdictArrives(t *testing.T) {
	st, live, pending := replayFixture(t)
	m := newReplayModel(t, st, live, 160, 40)
	m = press(t, m, append(append([]string{"/"}, strings.Split("status:differs", "")...), "enter")...)
	if n := m.list.idx.len(); n != 3 {
		t.Fatalf("status:differs lists %d rows before add 5's verdict, want 3:\n%s", n, view(m))
	}
	if !strings.Contains(view(m), "compared 5/6") || !strings.Contains(view(m), "≠ 3 differ") {
		t.Errorf("status bar:\n%s", view(m))
	}
	live.Record(pending)
	m = update(t, m, tickMsg(t0))
	if n := m.list.idx.len(); n != 4 {
		t.Fatalf("status:differs lists %d rows after add 5's verdict, want 4:\n%s", n, view(m))
	}
	m = press(t, m, "g", "j", "j", "j", "enter")
	v := view(m)
	if !strings.Contains(v, "replay: differs at $.data") || !strings.Contains(v, `≠   "data": 11,`) || !strings.Contains(v, "compared 6/6") {
		t.Errorf("add 5's diff view:\n%s", v)
	}
	live.Finish()
	if m = update(t, m, tickMsg(t0)); !strings.Contains(view(m), "compared 6/6 · done") {
		t.Errorf("a finished replay:\n%s", view(m))
	}
}

// The diff view's marks are styled too: what differs stands out, what is
// ignored is faint.
func TestReplayDiffStyles(t *testing.T) {
	st, live, _ := replayFixture(t)
	m := newReplayModel(t, st, live, 160, 40)
	m = press(t, m, "g", "j", "j", "enter")
	out := m.render()
	var differs, ignored string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(ansiStripped(l), `≠   "data": 4,`) && differs == "" {
			differs = l
		}
		if strings.Contains(ansiStripped(l), `·   "time"`) && ignored == "" {
			ignored = l
		}
	}
	s := &m.c.styles
	if differs == "" || !strings.Contains(differs, s.ErrorText.Render(`≠   "data": 4,`)) {
		t.Errorf("the differing line is not styled as an error: %q", differs)
	}
	if ignored == "" || !strings.Contains(ignored, s.Dim.Render(`·   "time": "12:00:02"`)) {
		t.Errorf("the ignored line is not dimmed: %q", ignored)
	}
}

// E exports the listed rows: with status:differs, the differing adds alone,
// as JSON Lines, to the file typed (the format from its name).
func TestExportKey(t *testing.T) {
	st, live, _ := replayFixture(t)
	m := newReplayModel(t, st, live, 120, 30)
	m = press(t, m, append(append([]string{"/"}, strings.Split("status:differs", "")...), "enter")...)
	m = press(t, m, "E")
	if !strings.Contains(view(m), "export the listed rows to") || !strings.Contains(view(m), exportDefault) {
		t.Fatalf("E asks no file name:\n%s", view(m))
	}
	m = press(t, m, strings.Split("diffs.jsonl", "")...) // instead of the default, not after it
	tm, cmd := m.Update(keyMsg("enter"))
	m = tm.(Model)
	if cmd == nil {
		t.Fatal("enter started no export")
	}
	m = update(t, m, cmd())
	path := filepath.Join(m.c.dir, "diffs.jsonl")
	if !strings.Contains(view(m), "exported 3 exchanges") {
		t.Errorf("no notice of the export:\n%s", view(m))
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if i := strings.Index(l, `"id":`); i >= 0 {
			ids = append(ids, strings.SplitN(l[i+5:], ",", 2)[0])
		}
	}
	if strings.Join(ids, " ") != "2 3 4" {
		t.Errorf("exported ids %v, want the differing adds 2 3 4", ids)
	}
	m = press(t, m, "E", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "t", "x", "t", "enter")
	if !strings.Contains(view(m), "name the file .pcapng, .jsonl or .har") {
		t.Errorf("an unknown extension:\n%s", view(m))
	}
	m = press(t, m, "esc") // the line given back, with "txt" in it
	// A session file (the one shown, say: .jsonl too) is not overwritten.
	rec := filepath.Join(m.c.dir, "rec.jsonl")
	const header = `{"type":"header","format":"sockscope-session","version":1,"started":"2026-01-02T03:04:05Z"}` + "\n"
	if err := os.WriteFile(rec, []byte(header), 0o600); err != nil {
		t.Fatal(err)
	}
	m = press(t, m, "E")
	m = press(t, m, strings.Split("rec.jsonl", "")...)
	m = pressRun(t, m, "enter")
	if b, _ := os.ReadFile(rec); string(b) != header || !strings.Contains(view(m), "not overwriting") {
		t.Errorf("export onto a session file: file %q, screen:\n%s", b, view(m))
	}
}

// i in a replay's UI says it has no intercept, and that a replay's UI is
// one of those without: it named only an attached viewer's and show's.
func TestReplayHasNoIntercept(t *testing.T) {
	st, live, _ := replayFixture(t)
	m := press(t, newReplayModel(t, st, live, 160, 40), "i")
	if m.overlays.top() != nil || !strings.Contains(m.notice, "no intercept here") || !strings.Contains(m.notice, "a replay's") {
		t.Errorf("i in a replay's UI: overlay %v, notice %q", m.overlays.top(), m.notice)
	}
}
