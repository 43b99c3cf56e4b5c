package store

import (
	"unsafe"

	"sockscope/internal/hugemem"
)

// The store's big, pointer-free memory (the arena's chunks, the records'
// blocks) is in regions advised for huge pages (package hugemem): a store
// filling up is most of what a busy sockscope faults in.

// newBlock returns a zeroed block of a ring of values of a type with no
// pointers, cut by c (its Size that of the block).
func newBlock[T any](c *hugemem.Carver) *[ringBlock]T {
	return (*[ringBlock]T)(unsafe.Pointer(unsafe.SliceData(c.Get())))
}
