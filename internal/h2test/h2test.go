// Package h2test builds HTTP/2 frames by hand, for tests that feed them to
// sockscope's framers and observer or write them to a real server.
package h2test

import "encoding/binary"

// Frame is an HTTP/2 frame of type typ with flags on stream, carrying
// payload.
func Frame(typ, flags byte, stream uint32, payload []byte) []byte {
	b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[5:], stream)
	return append(b, payload...)
}

// Get is the HEADERS frame of a GET of path on stream (host x), its fields
// from HPACK's static table or plain literals, ending the stream.
func Get(stream uint32, path string) []byte {
	return Frame(0x1, 0x5, stream, append([]byte{0x82, 0x86, 0x41, 1, 'x', 0x04, byte(len(path))}, path...))
}
