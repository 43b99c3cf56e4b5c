//go:build !windows

package proxy

import (
	"context"
	"errors"
	"net"
)

var errNoPipes = errors.New("named pipes exist only on Windows")

func listenPipe(path, sddl string) (net.Listener, error) {
	return nil, &net.OpError{Op: "listen", Net: "pipe", Err: errNoPipes}
}

func dialPipe(ctx context.Context, path string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "pipe", Err: errNoPipes}
}
