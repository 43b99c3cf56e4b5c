// Package missing ends a test whose real peer (a program, a package) is
// not installed: a skip on a developer's machine, a failure in CI, which
// installs every peer (.ci/run), so that CI can never pass by skipping.
package missing

import (
	"fmt"
	"os"
	"testing"
)

// Peer ends t for the missing peer the message names.
func Peer(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI installs it: .ci/run)")
	}
	t.Skip(msg)
}
