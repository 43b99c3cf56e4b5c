package store

import (
	"reflect"
	"testing"
	"unsafe"
)

// The records' rings cut their blocks from regions of bytes, which the
// collector does not scan: a pointer in a record would be missed.
func TestFlatRingsHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[msgRec](), reflect.TypeFor[rowRec](), reflect.TypeFor[extRef]()} {
		if p := pointerIn(typ); p != "" {
			t.Errorf("%v holds %s: its ring cannot be flat", typ, p)
		}
	}
	s := New(Config{})
	for name, c := range map[string]*carver{"msgs": s.msgs.carve, "rows": s.rows.carve, "exts": s.exts.carve} {
		if c == nil {
			t.Errorf("the %s ring is not flat", name)
		}
	}
}

// pointerIn names a part of typ that holds a pointer, or is "".
func pointerIn(typ reflect.Type) string {
	switch typ.Kind() {
	case reflect.Struct:
		for i := range typ.NumField() {
			if p := pointerIn(typ.Field(i).Type); p != "" {
				return typ.Field(i).Name + ": " + p
			}
		}
		return ""
	case reflect.Array:
		return pointerIn(typ.Elem())
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	}
	return typ.String()
}

// A carver's blocks are zeroed, of its size and apart, and its regions
// grow to regionSize (or one block's, when larger).
func TestCarver(t *testing.T) {
	for _, size := range []int{unsafeSizeof[[ringBlock]msgRec](), 3 << 20, 5 << 20} {
		c := &carver{size: size}
		var blocks [][]byte
		for range 2*max(regionSize/size, 1) + 1 {
			b := c.get()
			if len(b) != size || cap(b) != size {
				t.Fatalf("size %d: a block of len %d, cap %d", size, len(b), cap(b))
			}
			for i, x := range b {
				if x != 0 {
					t.Fatalf("size %d: byte %d of a new block is %d", size, i, x)
				}
			}
			for i := range b {
				b[i] = 0xff
			}
			blocks = append(blocks, b)
		}
		if want := max(regionSize/size, 1) * size; c.region != want {
			t.Errorf("size %d: regions of %d bytes after %d blocks, want %d", size, c.region, len(blocks), want)
		}
		for i, b := range blocks {
			for j, o := range blocks[:i] {
				if overlap(b, o) {
					t.Fatalf("size %d: blocks %d and %d overlap", size, j, i)
				}
			}
		}
	}
}

func unsafeSizeof[T any]() int {
	var v T
	return int(unsafe.Sizeof(v))
}

func overlap(a, b []byte) bool {
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}
