package hugemem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// advise asks the kernel to back the huge pages that fit in b with
// huge pages when they are first touched. Failing is harmless: small pages.
func advise(b []byte) {
	if len(b) < hugePage {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + uintptr(len(b))) &^ (hugePage - 1)
	if start < end {
		unix.Madvise(b[start-p:end-p], unix.MADV_HUGEPAGE)
	}
}
