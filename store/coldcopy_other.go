//go:build !amd64

package store

// coldCopy is copy(dst, src) for bytes that will not be read soon; only
// amd64 has a faster way (coldcopy_amd64.go).
func coldCopy(dst, src []byte) int { return copy(dst, src) }

// coldMin is where put1 leaves a copy to put: the same bound as amd64's,
// where coldCopy streams larger copies past the cache.
const coldMin = 1 << 10
