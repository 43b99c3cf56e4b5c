//go:build unix

package feed

import (
	"os"
	"syscall"
)

// ownerOf returns the uid owning the file fi describes.
func ownerOf(fi os.FileInfo) (int, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), true
	}
	return -1, false
}
