//go:build !linux

package store

// adviseHuge does nothing: madvise(MADV_HUGEPAGE) is Linux's.
func adviseHuge([]byte) {}
