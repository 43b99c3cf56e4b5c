//go:build !unix

package main

import (
	"context"
	"net"

	"sockscope/proxy"
)

// decodeApart: the decoder runs in a process of its own on Unix only
// (split): here the relay's process decodes.
func decodeApart(options) bool { return false }

func startApart(context.Context, options, net.Listener, proxy.Addr) (func(string) error, string, error) {
	panic("unreachable: decodeApart is false")
}

// runDecoder: no process here is a decoder's.
func runDecoder() {}
