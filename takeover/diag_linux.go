package takeover

import (
	"encoding/binary"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// listening reports whether a Unix socket of this network namespace
// listens at the socket file fi, by the kernel's word (sock_diag: a
// listening socket whose bound file has fi's device and inode), without
// connecting: a server that serves one session (dlv dap) takes a
// connection for its session, and exits when it closes. false when the
// kernel does not say so, or cannot be asked: then only connecting tells.
func listening(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	const (
		tcpListen   = 10  // TCP_LISTEN, the state of a listening Unix socket too
		showVFS     = 0x2 // UDIAG_SHOW_VFS
		attrVFS     = 1   // UNIX_DIAG_VFS: struct unix_diag_vfs { u32 ino, dev }
		reqLen      = unix.SizeofNlMsghdr + 24
		diagMsgSize = 16 // struct unix_diag_msg
	)
	req := make([]byte, reqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], reqLen)
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // seq
	b := req[unix.SizeofNlMsghdr:]
	b[0] = unix.AF_UNIX
	ne.PutUint32(b[4:], 1<<tcpListen)
	ne.PutUint32(b[12:], showVFS)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return false
	}
	major, minor := uint32(unix.Major(uint64(st.Dev))), uint32(unix.Minor(uint64(st.Dev)))
	buf := make([]byte, 32<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return false
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return false
		}
		for _, m := range msgs {
			if m.Header.Type == unix.NLMSG_DONE || m.Header.Type == unix.NLMSG_ERROR {
				return false
			}
			attrs := m.Data
			if len(attrs) < diagMsgSize {
				continue
			}
			for attrs = attrs[diagMsgSize:]; len(attrs) >= 4; {
				l, typ := int(ne.Uint16(attrs)), ne.Uint16(attrs[2:])
				if l < 4 || l > len(attrs) {
					break
				}
				if typ == attrVFS && l >= 12 {
					ino, dev := ne.Uint32(attrs[4:]), ne.Uint32(attrs[8:]) // dev: the kernel's MAJOR<<20 | MINOR
					if ino == uint32(st.Ino) && dev>>20 == major && dev&(1<<20-1) == minor {
						return true
					}
				}
				attrs = attrs[min((l+3)&^3, len(attrs)):]
			}
		}
	}
}
