//go:build !linux

package hugemem

// advise does nothing: madvise(MADV_HUGEPAGE) is Linux's.
func advise([]byte) {}
