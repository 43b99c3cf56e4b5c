//go:build unix && !darwin

package takeover

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// processName returns the program name of pid and whether it is a zombie,
// with ok false when the system does not say (no /proc, as on most BSDs).
func processName(pid int) (name string, zombie, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", false, false
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		zombie = stat[i+2] == 'Z' || stat[i+2] == 'X'
	}
	comm, _ := os.ReadFile(dir + "/comm")
	name = string(bytes.TrimSpace(comm))
	if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil {
		argv0, _, _ := bytes.Cut(cmd, []byte{0})
		name += " " + filepath.Base(string(argv0))
	}
	return name, zombie, true
}
