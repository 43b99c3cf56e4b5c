//go:build !amd64

package store

// coldCopy is copy(dst, src) for bytes that will not be read soon; only
// amd64 has a faster way (coldcopy_amd64.go).
func coldCopy(dst, src []byte) int { return copy(dst, src) }
