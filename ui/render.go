package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"

	"sockscope/protocol"
)

// Bounds on what the detail pane renders for one message.
const (
	maxPretty      = 256 << 10 // larger JSON is shown as it came, unindented
	maxDetailBytes = 64 << 10  // of a non-JSON or unindented frame
	maxDetailLines = 4000
)

// messageBody renders a message's payload for the detail pane: pretty,
// highlighted JSON; escaped text; or a hex dump. Every byte from the frame
// passes through sanitize or the hex dump.
func messageBody(m *protocol.Message, w int, hex bool, s *Styles) []string {
	lines := renderMessage(m, w, hex, " (x: its bytes)", s)
	if was, ok := editedFrom(m); ok {
		// Under the frame as forwarded, what it was: the whole of it, as
		// the frame is shown (the diff in the section's title was cut at
		// the pane's width, and showed nothing of it but its start).
		before := protocol.Message{Framing: m.Framing, Info: m.Info}
		before.Frame.Data, before.Frame.Size = was, len(was)
		lines = append(append(lines, "", s.Injected.Render("before the edit:")),
			renderMessage(&before, w, hex, "", s)...)
	}
	return lines
}

// noteWords is what a note says beyond its act, on one line, for a
// title: its words (a delay, why a hold ended, a rule's garbage), but not
// an edit's diff, which the body shows whole under the frame.
func noteWords(n *protocol.Note) string {
	if n.Act == protocol.ActEdited && strings.HasPrefix(n.Diff, "-") && strings.Contains(n.Diff, "\n+") {
		return ""
	}
	return sanitize(strings.ReplaceAll(n.Diff, "\n", "  "))
}

// editedFrom returns what an edited message was before the edit: its
// note's Was, or in a recording made before notes kept it, the old side of
// its diff ("-old\n+new"); false for any other message.
func editedFrom(m *protocol.Message) ([]byte, bool) {
	n := m.Note
	if n == nil || n.Act != protocol.ActEdited {
		return nil, false
	}
	if n.Was != nil {
		return n.Was, true
	}
	old, _, ok := strings.Cut(n.Diff, "\n+")
	if !ok || !strings.HasPrefix(old, "-") {
		return nil, false
	}
	return []byte(old[1:]), true
}

// renderMessage is messageBody with xHint after the line that says a
// frame is shown as JSON: where x shows its bytes, it says so.
func renderMessage(m *protocol.Message, w int, hex bool, xHint string, s *Styles) []string {
	var lines []string
	f := &m.Frame
	if f.Truncated {
		lines = append(lines, s.Warn.Render(fmt.Sprintf("⚠ truncated frame: %s kept of %s (%s bytes)",
			fmtSize(int64(len(f.Data))), fmtSize(int64(f.Size)), fmtCount(f.Size))))
	}
	switch {
	case protocol.IsGapErr(f.Err): // not the framing's doing
		lines = append(lines, s.Warn.Render("⚠ "+sanitize(f.Err)))
	case f.Err != "":
		lines = append(lines, s.Warn.Render("⚠ framing: "+sanitize(f.Err)))
	}
	if m.Info.Kind == protocol.KindRaw && m.Info.Err != "" && !hex {
		lines = append(lines, s.Dim.Render(sanitize(m.Info.Err)))
	}
	data := f.Data
	if view, ok := jsonView(m, hex); ok {
		lines = append(lines, s.Dim.Render(protocol.ProfileOf(m.Framing).Name+" message, shown as JSON"+xHint))
		for _, l := range strings.Split(view, "\n") {
			lines = append(lines, highlightJSON(l, s))
		}
		return wrapLines(lines, w)
	}
	switch {
	case len(data) == 0:
		lines = append(lines, s.Dim.Render("(empty)"))
	case hex || !looksText(data):
		lines = append(lines, hexDump(data, w, s)...)
	default:
		if pretty, ok := prettyJSON(data); ok && m.Info.Kind != protocol.KindRaw {
			for _, l := range strings.Split(pretty, "\n") {
				lines = append(lines, highlightJSON(l, s))
			}
		} else {
			more := len(data) > maxDetailBytes
			if more {
				data = data[:maxDetailBytes]
			}
			for _, l := range strings.Split(string(data), "\n") {
				lines = append(lines, sanitize(l))
			}
			if more {
				lines = append(lines, s.Dim.Render(fmt.Sprintf("… %s more bytes (w writes the whole frame)", fmtCount(len(f.Data)-maxDetailBytes))))
			}
		}
	}
	return wrapLines(lines, w)
}

// wrapLines wraps long lines to w cells and caps their number.
func wrapLines(lines []string, w int) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if w > 0 && lipgloss.Width(l) > w {
			out = append(out, strings.Split(lipgloss.Wrap(l, w, ""), "\n")...)
		} else {
			out = append(out, l)
		}
		if len(out) > maxDetailLines {
			out = append(out[:maxDetailLines], fmt.Sprintf("… cut at %d lines (w writes the whole frame)", maxDetailLines))
			break
		}
	}
	return out
}

// looksText reports whether data is UTF-8 with few control characters.
func looksText(data []byte) bool {
	sample := data[:min(len(data), 4096)]
	ctl := 0
	for _, b := range sample {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' {
			ctl++
		}
	}
	if ctl*20 > len(sample) {
		return false
	}
	for len(sample) > 0 {
		r, n := utf8.DecodeRune(sample)
		if r == utf8.RuneError && n == 1 && len(sample) >= utf8.UTFMax {
			return false
		}
		sample = sample[n:]
	}
	return true
}

// prettyJSON indents data, when it is JSON of a reasonable size.
func prettyJSON(data []byte) (string, bool) {
	if len(data) > maxPretty {
		return "", false
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(data), "", "  "); err != nil {
		return "", false
	}
	return buf.String(), true
}

// jsonView returns, pretty-printed, the JSON view of a message whose
// protocol is not JSON (HTTP, RESP, msgpack-RPC): what the detail pane
// shows unless hex asks for the bytes.
func jsonView(m *protocol.Message, hex bool) (string, bool) {
	if hex || !protocol.HasView(m.Framing) || len(m.Frame.Data) > maxPretty {
		return "", false
	}
	v, ok := protocol.ViewOf(nil, m)
	if !ok {
		return "", false
	}
	return prettyJSON(v)
}

// highlightJSON colours one line of indented JSON.
func highlightJSON(line string, s *Styles) string {
	var b strings.Builder
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(line))
			tok := sanitize(line[i:j])
			rest := strings.TrimLeft(line[j:], " ")
			if strings.HasPrefix(rest, ":") {
				b.WriteString(s.JSONKey.Render(tok))
			} else {
				b.WriteString(s.JSONString.Render(tok))
			}
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(line) && strings.IndexByte("0123456789.eE+-", line[j]) >= 0 {
				j++
			}
			b.WriteString(s.JSONNumber.Render(line[i:j]))
			i = j
		case c == 't' || c == 'f' || c == 'n':
			j := i
			for j < len(line) && line[j] >= 'a' && line[j] <= 'z' {
				j++
			}
			b.WriteString(s.JSONLiteral.Render(line[i:j]))
			i = max(j, i+1)
		case c == ' ':
			j := i
			for j < len(line) && line[j] == ' ' {
				j++
			}
			b.WriteString(line[i:j])
			i = j
		default:
			b.WriteString(s.JSONPunct.Render(sanitize(line[i : i+1])))
			i++
		}
	}
	return b.String()
}

// hexDumpWidth is the width of a hex dump's line of per bytes: the
// offset, two spaces, per "xx " and one more space halfway, then the
// bytes as text between bars.
func hexDumpWidth(per int) int { return 8 + 2 + 3*per + 1 + 1 + per + 1 }

// hexDump renders data as offset, hex bytes and printable characters: 16
// bytes a line when the pane is wide enough, else 8, else 4 (a line of the
// dump is never wrapped: its text would run into the next offset).
func hexDump(data []byte, w int, s *Styles) []string {
	per := 16
	for per > 4 && hexDumpWidth(per) > w {
		per /= 2
	}
	more := len(data) > maxDetailBytes
	if more {
		data = data[:maxDetailBytes]
	}
	lines := make([]string, 0, len(data)/per+2)
	var hx, asc strings.Builder
	for off := 0; off < len(data); off += per {
		hx.Reset()
		asc.Reset()
		for i := 0; i < per; i++ {
			if i == per/2 {
				hx.WriteByte(' ')
			}
			if off+i < len(data) {
				c := data[off+i]
				fmt.Fprintf(&hx, "%02x ", c)
				if c >= 0x20 && c < 0x7f {
					asc.WriteByte(c)
				} else {
					asc.WriteByte('.')
				}
			} else {
				hx.WriteString("   ")
			}
		}
		lines = append(lines, s.HexOffset.Render(fmt.Sprintf("%08x", off))+"  "+hx.String()+s.HexASCII.Render("|"+asc.String()+"|"))
	}
	if more {
		lines = append(lines, s.Dim.Render("… more bytes (w writes the whole frame)"))
	}
	return lines
}
