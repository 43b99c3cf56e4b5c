package protocol

import (
	"encoding/binary"
	"math/bits"
)

// A short key (at most seven bytes) is told by one word: its bytes, little
// endian, with its length in the top byte (so that "a" and "a\x00"
// differ). keyTab finds the members shape notes by that word with one
// multiplication, one load and one comparison, where shape.note compares
// strings: keyHash is a multiplier under which the words of those keys
// fall in distinct slots, which init checks.
const (
	keyHash  = 0x41f27cc6f3875d05
	keyShift = 59 // 32 slots
)

// keySlot is what keyTab holds for a key: the word it matches (noKey in
// an empty slot, which no key's word is: its top byte is at most 7), the
// token it sets (tokNone if it only sets a flag) and the flag it sets.
type keySlot struct {
	word uint64
	tok  uint8
	flag uint8
}

const noKey = ^uint64(0)

var keyTab [1 << (64 - keyShift)]keySlot

func init() {
	for i := range keyTab {
		keyTab[i].word = noKey
	}
	for _, k := range []struct {
		key  string
		tok  uint8
		flag uint8
	}{
		{"seq", tokSeq, 0}, {"QMP", tokNone, hasQMP}, {"type", tokType, 0},
		{"error", tokError, hasError}, {"event", tokEvent, 0}, {"stack", tokNone, hasStack},
		{"method", tokMethod, 0}, {"result", tokNone, hasResult}, {"action", tokAction, 0},
		{"return", tokNone, hasReturn}, {"success", tokSuccess, 0}, {"command", tokCommand, 0},
		{"execute", tokExecute, 0}, {"message", tokNone, hasMessage},
	} {
		var b [8]byte
		copy(b[:], k.key)
		w := binary.LittleEndian.Uint64(b[:]) | uint64(len(k.key))<<56
		slot := &keyTab[w*keyHash>>keyShift]
		if slot.word != noKey {
			panic("protocol: keyHash maps two keys to one slot")
		}
		*slot = keySlot{w, k.tok, k.flag}
	}
}

// noteWord is shape.note for a short key whose word is w.
func (s *shape) noteWord(w uint64, sp span) {
	s.members++
	if e := &keyTab[w*keyHash>>keyShift]; e.word == w {
		s.tok[e.tok] = sp
		s.flags |= e.flag
	}
}

// stops marks the bytes of w that are '"' or '\\' by their top bit; the
// lowest mark is exact, those above it may be false (the borrow).
func stops(w uint64) uint64 {
	q, e := w^('"'*lsb), w^('\\'*lsb)
	return ((q-lsb)&^q | (e-lsb)&^e) & msb
}

// shortString looks for the end of the string whose contents start at
// data[j] in the eight bytes there, w. If the first '"' or '\\' among
// them is a '"' at data[j+n], it returns b = 8n; else (an escape, a
// longer string, fewer than eight bytes left) b = 64.
func shortString(data []byte, j int) (b uint, w uint64) {
	if j+8 > len(data) {
		return 64, 0
	}
	w = binary.LittleEndian.Uint64(data[j : j+8])
	b = uint(bits.TrailingZeros64(stops(w))) &^ 7
	if byte(w>>b) != '"' {
		b = 64
	}
	return b, w
}

// keyWord returns the word of the key of b/8 bytes that w starts with.
func keyWord(b uint, w uint64) uint64 { return w&(1<<b-1) | uint64(b)<<53 }
