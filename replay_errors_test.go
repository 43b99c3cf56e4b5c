//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/nodetest"
)

// recordSeedClient records, through the real binary, one seed-client.js
// session with the seed server at svc: one connection, six requests.
func recordSeedClient(t *testing.T, dir, svc string) string {
	t.Helper()
	file, front := filepath.Join(dir, "client.jsonl"), filepath.Join(dir, "cfront.sock")
	stop := started(t, "listening on", "--headless", "-w", file, "--listen", front, svc)
	runNode(t, "seed-client.js", front)
	stop()
	return file
}

// --update replaces the whole recording: with --filter it would drop the
// connections the filter left out, so the two together are refused before
// anything runs, and the file stays as it was.
func TestReplayUpdateRefusesFilter(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	svc := filepath.Join(dir, "svc.sock")
	seedServerAt(t, svc)
	file := recordSeed(t, dir, svc)
	golden := filepath.Join(dir, "golden.jsonl")
	copyFile(file, golden)
	before, _ := os.ReadFile(golden)

	_, errOut, status := runStatus(t, "replay", "--update", "--filter", "conn:1", "--pace", "none", "--timeout", "1500ms", golden, svc)
	if status != 2 || !strings.Contains(errOut, "--update") || !strings.Contains(errOut, "--filter") || strings.Contains(errOut, "now holds") {
		t.Errorf("--update --filter: status %d: %s", status, errOut)
	}
	if after, _ := os.ReadFile(golden); !bytes.Equal(before, after) {
		t.Errorf("--update --filter changed the recording")
	}
}

// A Redis recording replayed: replay compares JSON paired by id, so a
// RESP (or HTTP) connection is refused before anything is sent (the INCR
// does not run again), exit 2. A filter that selects nothing is no pass
// either: exit 2, saying nothing was compared.
func TestReplayRefusesWhatItCannotCompare(t *testing.T) {
	need(t, "redis-server", "redis-cli", "node")
	dir := shortDir(t)
	up, front := filepath.Join(dir, "r.sock"), filepath.Join(dir, "f.sock")
	startProc(t, "redis-server", "--port", "0", "--unixsocket", up, "--save", "", "--appendonly", "no", "--dir", dir)
	dialWait(t, up)
	rec := filepath.Join(dir, "redis.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	cli := func(sock string, args ...string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", append([]string{"-s", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := cli(front, "incr", "k"); got != "1" {
		t.Fatalf("incr: %q", got)
	}
	stop()
	out, errOut, status := runStatus(t, "replay", "--headless", rec, up)
	if status != 2 || out != "" || !strings.Contains(errOut, "conn 1 speaks resp") {
		t.Errorf("replaying RESP: status %d, stdout %q, stderr %s", status, out, errOut)
	}
	if got := cli(up, "get", "k"); got != "1" {
		t.Errorf("the INCR ran again: k is %q", got)
	}

	svc := filepath.Join(dir, "svc.sock")
	seedServerAt(t, svc)
	file := recordSeedClient(t, dir, svc)
	_, errOut, status = runStatus(t, "replay", "--filter", "method:nothing", "--pace", "none", file, svc)
	if status != 2 || !strings.Contains(errOut, "passes --filter: nothing to compare") {
		t.Errorf("--filter method:nothing: status %d: %s", status, errOut)
	}
}

// A wrap recording holds the child's stderr as a stream of its own: it is
// no connection to replay.
func TestReplayWrapSkipsStderr(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := shortDir(t)
	file := filepath.Join(dir, "wrap.jsonl")
	cmd := exec.Command(binary, "-w", file, "--", "node", "testdata/node/jsonrpc-echo-stdio.js")
	cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"echo","params":["x"]}` + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wrap: %v\n%s", err, out)
	}
	echo := filepath.Join(dir, "echo.sock")
	nodetest.Start(t, "jsonrpc-echo.js", echo).Expect(t, "listening")
	out, errOut, status := runStatus(t, "replay", "--dump", file, echo)
	ex := ofType(dumpLines(t, []byte(out)), "exchange")
	if status != 0 || len(ex) != 2 || !strings.Contains(errOut, "1 connections, 2 requests: 2 match") {
		t.Errorf("replaying a wrap recording: status %d, %v; stderr %s", status, ex, errOut)
	}
}
