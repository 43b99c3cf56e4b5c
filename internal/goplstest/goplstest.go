// Package goplstest finds gopls for tests that drive the real language
// server.
package goplstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/missing"
)

// Version is the gopls that .ci/run installs.
const Version = "v0.23.0"

// Path returns gopls on PATH or in GOPATH/bin. CI installs it, so there a
// missing gopls fails the test instead of skipping it.
func Path(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("gopls"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "gopls")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing.Peer(t, "gopls is not installed: go install golang.org/x/tools/gopls@"+Version)
	return ""
}
