package ui

import (
	"fmt"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func fmtType(v any) string { return fmt.Sprintf("%T", v) }

func visibleWidth(s string) int { return lipgloss.Width(s) }

// view renders m without styles.
func view(m Model) string { return ansi.Strip(m.render()) }

func ansiStripped(s string) string { return ansi.Strip(s) }
