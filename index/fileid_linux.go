package index

import (
	"io/fs"
	"syscall"
	"time"
)

func changeAndInode(fi fs.FileInfo) (time.Time, uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, 0, false
	}
	return time.Unix(st.Ctim.Unix()), st.Ino, true
}
