//go:build !linux && !darwin && !windows

package proxy

import "net"

// PeerCred knows nothing of the peer on this system.
func PeerCred(c net.Conn) (pid, uid int) { return -1, -1 }

// ProcessName knows no process names on this system.
func ProcessName(pid int) string { return "" }

// acceptName knows no process names on this system.
func acceptName(int) string { return "" }
