// Package nodetest runs the Node.js peers of testdata/node for tests, and
// talks to them line by line.
package nodetest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Proc is a running Node script whose stdout is read line by line.
type Proc struct {
	Cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

// liveness bounds waits that only a hang would exceed.
const liveness = 60 * time.Second

// Start runs testdata/node/script with args (skipping the test when node is
// not installed), and kills it when the test ends.
func Start(t testing.TB, script string, args ...string) *Proc {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "testdata", "node", script)
	cmd := exec.Command("node", append([]string{path}, args...)...)
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, in: in, lines: make(chan string, 64)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

// Expect waits for the script's next line of stdout to be want.
func (p *Proc) Expect(t testing.TB, want string) {
	t.Helper()
	select {
	case got, ok := <-p.lines:
		if !ok || got != want {
			t.Fatalf("node said %q (open: %v), want %q", got, ok, want)
		}
	case <-time.After(liveness):
		t.Fatalf("node never said %q", want)
	}
}

// Say writes one line to the script's stdin.
func (p *Proc) Say(line string) { fmt.Fprintln(p.in, line) }

// Wait waits for the script to exit and returns its error.
func (p *Proc) Wait() error { return p.Cmd.Wait() }

// Line returns the script's next line of stdout, failing the test if it
// ends or says nothing for a long time.
func (p *Proc) Line(t testing.TB) string {
	t.Helper()
	select {
	case got, ok := <-p.lines:
		if !ok {
			t.Fatal("node ended its output")
		}
		return got
	case <-time.After(liveness):
		t.Fatal("node said nothing")
	}
	return ""
}
