//go:build linux

package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// decoderPriority is the environment variable that lowers the priority of
// sockscope's decoder (observe.lowPriority).
const decoderPriority = "SOCKSCOPE_DECODER_PRIORITY"

// TestDecoderYields: the real binary proxying live traffic, with
// SOCKSCOPE_DECODER_PRIORITY=idle (an experiment, off by default: see
// observe.lowDecoder), decodes on a thread of the SCHED_IDLE class (its
// other threads stay at normal priority), and loses nothing: the session
// it recorded pairs every call.
func TestDecoderYields(t *testing.T) {
	dir := shortDir(t)
	svc, front, file := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	echoServer(t, svc)
	cmd := exec.Command(binary, "--headless", "--record", file, "--listen", front, svc)
	cmd.Env = append(os.Environ(), decoderPriority+"=idle")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, front)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	const calls = 50
	for id := 1; id <= calls; id++ {
		call(t, c, r, id)
	}
	c.Close()

	// The decoder's thread is lowered when it starts decoding.
	deadline := time.Now().Add(time.Minute)
	var policies map[string]int
	for {
		policies = threadPolicies(t, cmd.Process.Pid)
		if policies["5"] > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if policies["5"] != 1 || policies["0"] == 0 {
		t.Errorf("threads by scheduling policy %v, want one in SCHED_IDLE (5), the others SCHED_OTHER (0)", policies)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	out, _ := showRun(t, "show", "--dump", file)
	if n := strings.Count(out, `"status":"ok"`); n != calls {
		t.Errorf("show paired %d calls, want %d", n, calls)
	}
}

// threadPolicies counts the threads of process pid by scheduling policy
// (the 41st field of /proc/PID/task/TID/stat).
func threadPolicies(t *testing.T, pid int) map[string]int {
	t.Helper()
	stats, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 41-3 {
			n[f[41-3]]++
		}
	}
	return n
}
