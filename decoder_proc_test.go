//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sockscope/session"
)

// The decoder's process, seen through Linux's /proc (where there is none,
// the tests that read it fail, and only run on Linux).

// procStat returns the fields of /proc/<pid>/stat (or of a thread's,
// /proc/<pid>/task/<tid>/stat) after the command's name: [0] is the state,
// [3] the session, [16] the nice value. It returns nil once the process is
// gone.
func procStat(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// decoderOf returns the pid of the decoder's process a sockscope started:
// its child running sockscope's binary (a wrapped program is another).
func decoderOf(t *testing.T, p *ssProc) int {
	t.Helper()
	return childOf(t, p.pid())
}

// childOf returns the pid of process pid's child that runs sockscope's
// binary, once it has one.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	exe, err := filepath.EvalSymlinks(binary)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	eventually(t, "a child of "+strconv.Itoa(pid)+" running sockscope", func() bool {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			for _, kid := range strings.Fields(string(b)) {
				if x, _ := os.Readlink("/proc/" + kid + "/exe"); x == exe {
					child, _ = strconv.Atoi(kid)
					return true
				}
			}
		}
		return false
	})
	return child
}

// lowest runs cmd's decoder's process at the lowest priority, as sockscope
// does by default (TestMain runs it at the relay's).
func lowest(cmd *exec.Cmd) *exec.Cmd {
	cmd.Env = append(os.Environ(), "SOCKSCOPE_DECODER=")
	return cmd
}

// gone reports whether process pid has ended (a zombie left for init to
// reap has).
func gone(pid int) bool {
	st := procStat("/proc/" + strconv.Itoa(pid) + "/stat")
	return st == nil || st[0] == "Z" || st[0] == "X"
}

// countType counts the records of type typ.
func countType(recs []session.Record, typ string) int {
	n := 0
	for _, r := range recs {
		if r.Type == typ {
			n++
		}
	}
	return n
}

// groupNice is the nice value of process pid's scheduling group by
// session, "" where the kernel has none, or where the process is not in
// one (the file is empty: in a cgroup of its own, as on some CI machines).
func groupNice(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/autogroup")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// grouping reports whether the kernel schedules by session groups here
// (autogroup), so that a group's nice value orders it among the others.
func grouping() bool {
	b, _ := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled")
	return strings.TrimSpace(string(b)) == "1" && groupNice(os.Getpid()) != ""
}
