//go:build unix && !linux

package takeover

import "io/fs"

// listening is false: only Linux says, without connecting, whether a
// socket listens at a path (see diag_linux.go); connecting tells instead.
func listening(fs.FileInfo) bool { return false }
