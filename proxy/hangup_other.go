//go:build !unix

package proxy

import "net"

// hungUp cannot tell here: a held frame waits for its decision or its
// timeout.
func hungUp(net.Conn) bool { return false }
