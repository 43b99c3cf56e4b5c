//go:build unix

package split

// Supported says whether the decoder can run in a process of its own here.
const Supported = true
