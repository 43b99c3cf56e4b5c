//go:build !unix

package main

import (
	"errors"

	"sockscope/capture"
)

// startDecoder: the decoder runs in a process of its own on Unix only
// (decodeApart is false here).
func startDecoder(options, capture.Config, apartRun) (*apart, error) {
	return nil, errors.New("no decoder process here")
}

// runDecoder: no process here is a decoder's.
func runDecoder() {}
