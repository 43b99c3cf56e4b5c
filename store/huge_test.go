package store

import (
	"reflect"
	"testing"

	"sockscope/internal/hugemem"
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
	for name, c := range map[string]*hugemem.Carver{"msgs": s.msgs.carve, "rows": s.rows.carve, "exts": s.exts.carve} {
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
