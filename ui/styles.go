package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"sockscope/protocol"
)

// Styles is every style the UI uses. It is built once by newStyles for the
// terminal's background and rebuilt when the terminal reports it; no other
// file names a colour.
type Styles struct {
	NoColor bool

	Header, HeaderKey, HeaderDim lipgloss.Style
	Drops, Rec, Paused, Notice   lipgloss.Style
	ErrorText                    lipgloss.Style

	PaneTitle, PaneTitleFocus, PaneInfo lipgloss.Style
	Sep, Dim, Bold                      lipgloss.Style
	Selected, SelectedBlur              lipgloss.Style
	ColHeader                           lipgloss.Style

	Status         [6]lipgloss.Style // by protocol.Status
	Slow, VerySlow lipgloss.Style
	DirC2S, DirS2C lipgloss.Style
	ConnOpen       lipgloss.Style
	ConnClosed     lipgloss.Style
	ConnFailed     lipgloss.Style

	JSONKey, JSONString, JSONNumber, JSONLiteral, JSONPunct lipgloss.Style
	HexOffset, HexASCII                                     lipgloss.Style
	Section, SectionActive, Warn                            lipgloss.Style

	FilterPrompt, FilterText, FilterBad lipgloss.Style
	Spark, Bar                          lipgloss.Style

	Injected lipgloss.Style // the mark on what sockscope itself sent

	Editor textarea.Styles // the compose overlay's editor
	Help   help.Styles
}

// newStyles returns the styles for a dark or light background; with noColor
// (the NO_COLOR convention) it uses no colour at all, only bold, faint,
// underline and reverse video.
func newStyles(isDark, noColor bool) Styles {
	s := Styles{NoColor: noColor}
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	n := lipgloss.NewStyle
	if noColor {
		s.Header = n().Reverse(true)
		s.HeaderKey = s.Header.Bold(true)
		s.HeaderDim = s.Header
		s.Drops = n().Bold(true).Blink(false).Underline(true)
		s.Rec = n().Bold(true)
		s.Paused = n().Bold(true).Reverse(true)
		s.Notice = n().Bold(true)
		s.ErrorText = n().Bold(true)
		s.PaneTitle = n().Bold(true).Underline(true)
		s.PaneTitleFocus = n().Bold(true).Reverse(true)
		s.PaneInfo = n().Faint(true)
		s.Sep = n().Faint(true)
		s.Dim = n().Faint(true)
		s.Bold = n().Bold(true)
		s.Selected = n().Reverse(true)
		s.SelectedBlur = n().Underline(true)
		s.ColHeader = n().Faint(true).Underline(true)
		for i := range s.Status {
			s.Status[i] = n()
		}
		s.Status[protocol.StatusError] = n().Bold(true)
		s.Status[protocol.StatusNoReply] = n().Bold(true)
		s.Status[protocol.StatusOrphan] = n().Bold(true)
		s.Status[protocol.StatusNone] = n().Faint(true)
		s.Slow = n().Underline(true)
		s.VerySlow = n().Bold(true).Underline(true)
		s.DirC2S, s.DirS2C = n(), n()
		s.ConnOpen, s.ConnClosed, s.ConnFailed = n().Bold(true), n().Faint(true), n().Bold(true)
		s.JSONKey, s.JSONString, s.JSONNumber, s.JSONLiteral = n().Bold(true), n(), n(), n()
		s.JSONPunct = n().Faint(true)
		s.HexOffset, s.HexASCII = n().Faint(true), n().Faint(true)
		s.Section = n().Bold(true)
		s.SectionActive = n().Bold(true).Reverse(true)
		s.Warn = n().Bold(true)
		s.FilterPrompt, s.FilterText, s.FilterBad = n().Bold(true), n(), n().Bold(true).Underline(true)
		s.Spark, s.Bar = n(), n()
		s.Injected = n().Bold(true).Underline(true)
		s.Editor = editorStyles(n(), n().Faint(true), nil)
		s.Help = help.Styles{
			ShortKey: n().Bold(true), ShortDesc: n(), ShortSeparator: n().Faint(true),
			Ellipsis: n().Faint(true), FullKey: n().Bold(true), FullDesc: n(), FullSeparator: n().Faint(true),
		}
		return s
	}

	accent := c("#5A56E0", "#8C8CFF")
	red := c("#C62828", "#FF6B6B")
	green := c("#2E7D32", "#7BD88F")
	yellow := c("#A66B00", "#F4C86A")
	magenta := c("#AD1457", "#F28FC1")
	cyan := c("#00796B", "#6FD3E3")
	dim := c("#767676", "#8A8A8A")
	faintBg := c("#E4E4EC", "#2A2A3A")
	headerBg := c("#DCDCF0", "#2D2B55")
	fg := c("#1A1A1A", "#E6E6E6")

	s.Header = n().Background(headerBg).Foreground(fg)
	s.HeaderKey = s.Header.Foreground(accent).Bold(true)
	s.HeaderDim = s.Header.Foreground(dim)
	s.Drops = n().Background(red).Foreground(c("#FFFFFF", "#1A1A1A")).Bold(true)
	s.Rec = s.Header.Foreground(red).Bold(true)
	s.Paused = n().Background(yellow).Foreground(c("#FFFFFF", "#1A1A1A")).Bold(true)
	s.Notice = n().Foreground(accent).Bold(true)
	s.ErrorText = n().Foreground(red).Bold(true)
	s.PaneTitle = n().Foreground(dim).Bold(true)
	s.PaneTitleFocus = n().Foreground(accent).Bold(true).Underline(true)
	s.PaneInfo = n().Foreground(dim)
	s.Sep = n().Foreground(c("#C8C8D0", "#44445A"))
	s.Dim = n().Foreground(dim)
	s.Bold = n().Bold(true)
	s.Selected = n().Background(c("#C9C7F5", "#3D3A7A")).Foreground(fg).Bold(true)
	s.SelectedBlur = n().Background(faintBg).Foreground(fg)
	s.ColHeader = n().Foreground(dim).Underline(true)
	s.Status[protocol.StatusNone] = n().Foreground(dim)
	s.Status[protocol.StatusPending] = n().Foreground(yellow)
	s.Status[protocol.StatusOK] = n().Foreground(green)
	s.Status[protocol.StatusError] = n().Foreground(red).Bold(true)
	s.Status[protocol.StatusNoReply] = n().Foreground(magenta).Bold(true)
	s.Status[protocol.StatusOrphan] = n().Foreground(magenta)
	s.Slow = n().Foreground(yellow)
	s.VerySlow = n().Foreground(red).Bold(true)
	s.DirC2S = n().Foreground(cyan)
	s.DirS2C = n().Foreground(magenta)
	s.ConnOpen = n().Foreground(green)
	s.ConnClosed = n().Foreground(dim)
	s.ConnFailed = n().Foreground(red)
	s.JSONKey = n().Foreground(c("#1565C0", "#82AAFF"))
	s.JSONString = n().Foreground(c("#2E7D32", "#C3E88D"))
	s.JSONNumber = n().Foreground(c("#B34700", "#F78C6C"))
	s.JSONLiteral = n().Foreground(c("#7B1FA2", "#C792EA"))
	s.JSONPunct = n().Foreground(dim)
	s.HexOffset = n().Foreground(dim)
	s.HexASCII = n().Foreground(cyan)
	s.Section = n().Foreground(dim).Bold(true)
	s.SectionActive = n().Foreground(accent).Bold(true).Underline(true)
	s.Warn = n().Foreground(yellow).Bold(true)
	s.FilterPrompt = n().Foreground(accent).Bold(true)
	s.FilterText = n().Foreground(fg)
	s.FilterBad = n().Foreground(red).Underline(true)
	s.Spark = n().Foreground(accent)
	s.Bar = n().Foreground(cyan)
	s.Injected = n().Foreground(cyan).Bold(true)
	s.Editor = editorStyles(n().Foreground(fg), s.Dim, accent)
	s.Help = help.DefaultStyles(isDark)
	s.Help.ShortKey = n().Foreground(accent)
	s.Help.FullKey = n().Foreground(accent).Bold(true)
	return s
}

// status styles a row status.
func (s Styles) status(st protocol.Status) lipgloss.Style {
	if int(st) < len(s.Status) {
		return s.Status[st]
	}
	return s.Dim
}

// editorStyles styles the compose overlay's editor: text, dim line numbers
// and prompt, a cursor that does not blink (nil: the terminal's colour).
func editorStyles(text, dim lipgloss.Style, cursor color.Color) textarea.Styles {
	st := textarea.StyleState{Base: lipgloss.NewStyle(), Text: text, CursorLine: text, Placeholder: dim,
		Prompt: dim, LineNumber: dim, CursorLineNumber: dim, EndOfBuffer: dim, Selection: lipgloss.NewStyle().Reverse(true)}
	return textarea.Styles{Focused: st, Blurred: st,
		Cursor: textarea.CursorStyle{Color: cursor, Shape: tea.CursorBlock, Blink: false}}
}
