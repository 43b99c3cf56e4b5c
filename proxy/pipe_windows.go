//go:build windows

package proxy

import (
	"context"
	"net"

	"github.com/Microsoft/go-winio"
)

// listenPipe listens on the named pipe path in byte mode. Byte-mode pipe
// connections have no CloseWrite, so the relay passes an end of stream on
// by closing the connection.
func listenPipe(path string) (net.Listener, error) {
	return winio.ListenPipe(path, &winio.PipeConfig{MessageMode: false})
}

func dialPipe(ctx context.Context, path string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, path)
}
