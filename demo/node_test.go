package demo

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// nodeDir holds the Node.js peers used by end-to-end tests.
const nodeDir = "../testdata/node"

// seedClientReplies is what testdata/node/seed-client.js must print after
// the registration, in any order: the reference server's answers, quirks
// included ({} for boom; nothing for never).
var seedClientReplies = []string{
	`{"success":true,"rid":1,"data":15}`,
	`{"success":true,"rid":2,"data":120}`,
	`{"success":true,"rid":3,"data":"héllo→世界"}`,
	`{"success":false,"rid":4}`,
	`{}`,
}

func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	return node
}

// startNodeServer runs a Node.js server script on sock and waits until it
// prints "listening".
func startNodeServer(t *testing.T, node, script, sock string) {
	t.Helper()
	cmd := exec.Command(node, filepath.Join(nodeDir, script), sock)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := sc.Scan() && sc.Text() == "listening"
		ready <- ok
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("%s did not print listening", script)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s not ready after 20s", script)
	}
}

// runSeedClient runs seed-client.js against sock and checks its output.
func runSeedClient(t *testing.T, node, sock, wantRegister string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(nodeDir, "seed-client.js"), sock)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("seed-client.js: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("client finished after %v, before time could answer", el)
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) == 0 || lines[0] != wantRegister {
		t.Fatalf("first line %q, want %s", lines[0], wantRegister)
	}
	got := slices.Sorted(slices.Values(lines[1:]))
	want := slices.Sorted(slices.Values(seedClientReplies))
	if !slices.Equal(got, want) {
		t.Errorf("replies:\n%s\nwant (any order):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// add answers at once, time after a second: replies out of order.
	if i, j := slices.Index(lines, seedClientReplies[0]), slices.Index(lines, seedClientReplies[1]); i > j {
		t.Errorf("time's reply came before add's:\n%s", &stdout)
	}
	if s := stderr.String(); !strings.Contains(s, "rid 5 (boom)") || !strings.Contains(s, "rid 6 (never)") {
		t.Errorf("stderr %q does not list boom and never as unanswered", s)
	}
}

// TestNodeClientAgainstNodeServer runs the Node.js peers against each other.
func TestNodeClientAgainstNodeServer(t *testing.T) {
	node := needNode(t)
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "seed.sock")
	startNodeServer(t, node, "seed-server.js", sock)
	runSeedClient(t, node, sock, `{"action":"register","methods":["add","time","echo","boom","never"]}`)
}

// TestNodeClientAgainstDemoServer checks the Go demo service answers the
// reference client exactly as the reference server does.
func TestNodeClientAgainstDemoServer(t *testing.T) {
	node := needNode(t)
	sock := startServer(t)
	runSeedClient(t, node, sock, `{"action":"register","methods":["add","time","echo","slow","boom","never","crash"]}`)
}
