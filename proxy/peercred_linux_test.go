package proxy

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// A process's name is read as it is, but for comm's newline: spaces at its
// ends and U+0085 (which strings.TrimSpace takes for a space) included.
func TestProcessNameKeepsSpaces(t *testing.T) {
	comm := "/proc/" + strconv.Itoa(os.Getpid()) + "/comm"
	was, err := os.ReadFile(comm)
	if err != nil {
		t.Skip(err)
	}
	name := " a b\u0085"
	if err := os.WriteFile(comm, []byte(name), 0); err != nil {
		t.Skipf("cannot rename this process: %v", err)
	}
	t.Cleanup(func() { os.WriteFile(comm, []byte(strings.TrimSuffix(string(was), "\n")), 0) })
	if got := ProcessName(os.Getpid()); got != name {
		t.Errorf("ProcessName = %q, want %q", got, name)
	}
}
