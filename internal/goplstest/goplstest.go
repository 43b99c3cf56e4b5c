// Package goplstest finds gopls for tests that drive the real language
// server.
package goplstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	if os.Getenv("CI") != "" {
		t.Fatal("gopls is not installed (.ci/run installs it)")
	}
	t.Skip("gopls is not installed: go install golang.org/x/tools/gopls@" + Version)
	return ""
}
