package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// startSeedServer starts the seed-protocol Node server at a fresh socket
// and returns its path once it listens.
func startSeedServer(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	svc := filepath.Join(shortDir(t), "svc.sock")
	server := exec.Command("node", "testdata/node/seed-server.js", svc)
	sout, _ := server.StdoutPipe()
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	if line, err := bufio.NewReader(sout).ReadString('\n'); err != nil || !strings.Contains(line, "listening") {
		t.Fatalf("node server said %q, %v", line, err)
	}
	return svc
}

// runSend runs `sockscope send args...` with stdin and returns its stdout,
// stderr and exit status.
func runSendCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"send"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), status
}

// `sockscope send` against the seed Node server: 0 for a success reply, 1
// for an error reply, 2 for no reply or bad input; a message without an id
// gets one; stdin sends one message per line on one connection; the
// server's greeting is never taken for the reply, and -v shows it.
func TestSendExitStatus(t *testing.T) {
	svc := startSeedServer(t)
	for _, c := range []struct {
		name, stdin string
		args        []string
		out, errOut string
		status      int
	}{
		{"success", "", []string{svc, `{"method":"add","args":[1,2]}`}, `{"success":true,"rid":1,"data":3}` + "\n", "", 0},
		{"error reply", "", []string{svc, `{"rid":7,"method":"nosuch","args":[]}`}, `{"success":false,"rid":7}` + "\n", "", 1},
		{"no reply", "", []string{"--timeout", "300ms", svc, `{"method":"never","args":[]}`}, "", "no reply within 300ms", 2},
		{"not JSON", "", []string{svc, `{"rid":1,`}, "", "not JSON", 2},
		{"nobody listening", "", []string{svc + ".none", `{}`}, "", "connect", 2},
		{"stdin, verbose", "{\"method\":\"add\",\"args\":[1,2]}\n\n{\"method\":\"echo\",\"args\":[\"hé\"]}\n", []string{"-v", svc, "-"},
			`{"success":true,"rid":1,"data":3}` + "\n" + `{"success":true,"rid":2,"data":"hé"}` + "\n", `"action":"register"`, 0},
	} {
		out, errOut, status := runSendCmd(t, c.stdin, c.args...)
		if out != c.out || status != c.status || !strings.Contains(errOut, c.errOut) {
			t.Errorf("%s: stdout %q, stderr %q, status %d; want %q, stderr with %q, status %d",
				c.name, out, errOut, status, c.out, c.errOut, c.status)
		}
	}
}
