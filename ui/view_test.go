package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"sockscope/protocol"
	"sockscope/store"
)

// Golden views, styles stripped so they read as text. Regenerate with
// go test ./ui -update.
func TestGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		name := fmt.Sprintf("%dx%d", sz[0], sz[1])
		states := []struct {
			name string
			keys []string
		}{
			{"follow", nil},
			{"exchange", []string{"g", "j", "j", "j", "j", "j", "j", "j"}}, // getUser
			{"raw", []string{"r", "k", "k", "k", "k", "k", "k"}},
			{"escape", []string{"k", "k", "k", "x"}},
			{"stats", []string{"s"}},
			{"filter", []string{"/", "s", "l", "o", "w", ":", ">", "1", "0", "0", "m", "s"}},
			{"conns", []string{"c", "tab", "tab", "j"}},
			{"help", []string{"?"}},
		}
		for _, s := range states {
			t.Run(name+"/"+s.name, func(t *testing.T) {
				m := newTestModel(t, demoStore(t), sz[0], sz[1])
				m = press(t, m, s.keys...)
				golden.RequireEqual(t, []byte(view(m)))
			})
		}
	}
}

// ansiSeq finds escape sequences; only SGR (styles) may come from the UI.
var ansiSeq = regexp.MustCompile("\x1b(\\[[0-9;:?]*[A-Za-z]|\\][^\x07\x1b]*|.)")

// Bytes from a frame must never reach the terminal as control sequences.
func TestFrameEscapesAreDefused(t *testing.T) {
	st := demoStore(t)
	st.Update(func(tx *store.Tx) {
		f := &filler{st: st, tx: tx}
		f.lone(2, protocol.C2S, t0, "a long enough line of text with \x1b]52;c;ZXZpbA==\x07 and \x1b[2J inside it\r", protocol.StatusNone)
		f.lone(2, protocol.C2S, t0, `{"method":"x\u001b[2J","note":"\u009b31m"}`, protocol.StatusNone)
	})
	st.Update(func(tx *store.Tx) {
		tx.OpenConn(store.Conn{ID: 3, Client: "evil\x1b]0;pwned\x07", Process: "p\x1b[31m", PID: 7, Opened: t0})
	})
	for _, keys := range [][]string{nil, {"k"}, {"x"}, {"r"}, {"r", "k"}, {"r", "k", "x"}, {"c"}, {"s"}} {
		m := newTestModel(t, st, 160, 48)
		m = press(t, m, keys...)
		out := m.render()
		for _, seq := range ansiSeq.FindAllString(out, -1) {
			if !strings.HasSuffix(seq, "m") || !strings.HasPrefix(seq, "\x1b[") {
				t.Fatalf("keys %v: control sequence %q reached the screen", keys, seq)
			}
		}
		if strings.ContainsAny(out, "\x07\x9b\r") {
			t.Fatalf("keys %v: a control character reached the screen", keys)
		}
	}
	m := newTestModel(t, st, 160, 48)
	m = press(t, m, "k")
	if v := view(m); !strings.Contains(v, `\x1b]52;c;`) || !strings.Contains(v, `evil\x1b]0;pwned\x07`) {
		t.Fatalf("escapes are not shown visibly:\n%s", v)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"a\x1b[2Jb":        `a\x1b[2Jb`,
		"tab\tnl\ncr\r":    `tab\tnl\ncr\r`,
		"bad\xffutf8":      `bad\xffutf8`,
		"c1\u009b":         `c1\x9b`,
		"del\x7f":          `del\x7f`,
		"bidi\u202e":       `bidi\u202e`,
		"héllo wörld ✓ 日本": "héllo wörld ✓ 日本",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	m := New(demoStore(t), Options{})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = update(t, m, tickMsg(t0))
	out := m.render()
	if regexp.MustCompile("\x1b\\[[0-9;]*(38|48)[;:]").MatchString(out) {
		t.Fatal("NO_COLOR: colours in the output")
	}
	if !strings.Contains(out, "\x1b[") {
		t.Fatal("NO_COLOR: no emphasis at all (selection must still show)")
	}
}

func TestLightBackground(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	dark := m.render()
	m = update(t, m, tea.BackgroundColorMsg{Color: colorWhite{}})
	if light := m.render(); light == dark || view(m) != ansiStripped(dark) {
		t.Fatal("a light background changes the colours and nothing else")
	}
}

type colorWhite struct{}

func (colorWhite) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestViewIsFullScreen(t *testing.T) {
	m := newTestModel(t, demoStore(t), 80, 24)
	v := m.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Fatal("the view must use the alt screen and cell-motion mouse")
	}
}

// Once the decoder drops, the header says how fast the traffic goes
// through: msg/s counts only what was decoded (nothing while a decoder
// behind rests), the bytes relayed count the dropped too.
func TestHeaderShowsTheRelayedRateOnceDropping(t *testing.T) {
	st := demoStore(t)
	m := newTestModel(t, st, 160, 48)
	if v := view(m); strings.Contains(v, "relayed") {
		t.Fatalf("nothing dropped, yet the header shows a relayed rate:\n%s", firstLine(v))
	}
	now := t0.Add(5 * time.Second) // 2 s after the model's first tick
	m.c.now = func() time.Time { return now }
	st.Update(func(tx *store.Tx) { tx.SetDropped(30, 4<<20) }) // 4 MiB in 2 s, none decoded
	m = update(t, m, tickMsg(now))
	v := firstLine(view(m))
	if !strings.Contains(v, "│ 0 msg/s │") || !strings.Contains(v, "│ 2.0M/s relayed") {
		t.Errorf("header %q: want 0 msg/s and 2.0M/s relayed", v)
	}
}

// firstLine is a view's first line.
func firstLine(v string) string {
	l, _, _ := strings.Cut(v, "\n")
	return l
}

// A lasting warning (Options.Warning: a taken-over path another socket
// replaced) shows in the status bar, in the drops' colours, for as long
// as it lasts, even at 80 columns, and in the bottom line for a few
// seconds when it comes.
func TestWarningShowsInTheStatusBar(t *testing.T) {
	const warning = "new clients bypass sockscope: another socket replaced it at /tmp/app.sock (the server restarted?)"
	for _, w := range []int{80, 160} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			var text string
			m := newTestModel(t, demoStore(t), w, 24)
			m.c.opts.Warning = func() string { return text }
			m = update(t, m, tickMsg(t0))
			if v := view(m); strings.Contains(v, "⚠") {
				t.Fatalf("a warning with none to show:\n%s", v)
			}
			text = warning
			m = update(t, m, tickMsg(t0))
			v := view(m)
			top, bottom := firstLine(v), bottomOf(m)
			if !strings.Contains(top, "│  ⚠ new clients bypass sockscope") {
				t.Errorf("status bar %q: want the warning", top)
			}
			if !strings.Contains(bottom, "⚠ new clients bypass sockscope: another socket") {
				t.Errorf("bottom line %q: want the warning as a notice", bottom)
			}
			if styled := m.statusBar(w); w >= 160 && !strings.Contains(styled, m.c.styles.Drops.Render(" ⚠ "+warning+" ")) {
				t.Errorf("status bar %q: want the whole warning, in the drops' style, at %d columns", styled, w)
			}

			// The notice goes after a few seconds; the status bar keeps it.
			later := t0.Add(3*time.Second + noticeFor + time.Second)
			m.c.now = func() time.Time { return later }
			m = update(t, m, tickMsg(later))
			v = view(m)
			top, bottom = firstLine(v), v[strings.LastIndex(v, "\n")+1:]
			if !strings.Contains(top, "⚠ new clients bypass sockscope") || strings.Contains(bottom, "⚠") {
				t.Errorf("%d s on: status bar %q, bottom line %q: want the warning in the status bar alone", 3+int(noticeFor/time.Second), top, bottom)
			}
		})
	}
}

// A notice longer than the two thirds of the bottom line it shares with
// the keys takes the whole line while it shows, so that it reads whole
// where it can (a resend's notice, with its id on the wire, was cut at
// 100 columns); the keys come back after it.
func TestLongNoticeTakesTheLine(t *testing.T) {
	const notice = "resent add (id 1) on conn #16 to the server (id on the wire 2147483646)"
	m := newTestModel(t, demoStore(t), 100, 30)
	m = m.setNotice(notice, false)
	v := view(m)
	if bottom := v[strings.LastIndex(v, "\n")+1:]; !strings.Contains(bottom, notice) {
		t.Errorf("bottom line %q: want the whole notice %q", bottom, notice)
	}
	m.c.now = func() time.Time { return t0.Add(3*time.Second + noticeFor + time.Second) }
	v = view(m)
	if bottom := v[strings.LastIndex(v, "\n")+1:]; strings.Contains(bottom, "resent") || !strings.Contains(bottom, "q quit") {
		t.Errorf("bottom line %q after the notice: want the keys back", bottom)
	}
	// A short one keeps the keys beside it.
	m = m.setNotice("copied", false)
	v = view(m)
	if bottom := v[strings.LastIndex(v, "\n")+1:]; !strings.Contains(bottom, "copied") || !strings.Contains(bottom, "↓/j down") {
		t.Errorf("bottom line %q: want the short notice and the keys", bottom)
	}
}

// bottomOf is the text of m's screen below the panes: the bottom line, or
// the lines a long notice takes.
func bottomOf(m Model) string {
	lines := strings.Split(view(m), "\n")
	return strings.Join(lines[len(lines)-m.bottomHeight():], "\n")
}

// A notice too long for the whole line (a refused rule's error, which
// lists every action) wraps onto lines of its own, three at most, and the
// panes make room: the screen stays the terminal's height; after the
// notice, the bottom is one line again.
func TestLongNoticeWraps(t *testing.T) {
	const bad = `not added rule: rule "method:add bogus:1": no ACTION (delay:D[±J], drop, reply:JSON, error:CODE[:msg], ` +
		`set:$.path=JSON, replace:JSON, garbage, truncate:N, duplicate, close, reset, hold, bandwidth:KB/s, slice:BYTES)`
	m := newTestModel(t, demoStore(t), 80, 24)
	m = m.setNotice(bad, true)
	m = update(t, m, tickMsg(t0))
	v := view(m)
	if n := strings.Count(v, "\n") + 1; n != 24 {
		t.Fatalf("%d lines on a screen of 24:\n%s", n, v)
	}
	if got := strings.Join(strings.Fields(bottomOf(m)), " "); !strings.Contains(got, bad) || m.bottomHeight() != 3 {
		t.Errorf("bottom (%d lines) %q: want the whole error %q", m.bottomHeight(), got, bad)
	}
	if !strings.Contains(v, "#17 add id 9 pending") || !regexp.MustCompile(`→ 9 +add`).MatchString(v) {
		t.Errorf("the selected row went off the panes:\n%s", v)
	}
	later := t0.Add(3*time.Second + noticeFor + time.Second)
	m.c.now = func() time.Time { return later }
	m = update(t, m, tickMsg(later))
	v = view(m)
	if n := strings.Count(v, "\n") + 1; n != 24 || m.bottomHeight() != 1 || strings.Contains(v, "bogus") {
		t.Errorf("after the notice: %d lines, bottom %d lines:\n%s", n, m.bottomHeight(), v)
	}
}
