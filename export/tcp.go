package export

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Each connection becomes a TCP stream over loopback: the client at
// 127.0.0.1 (127.0.0.2 after 16,384 connections, and so on) on a port of
// its own, the server at 127.0.0.1:ServerPort. Per direction the sequence
// number advances by the payload's length and the acknowledgment is the
// peer's next sequence number, so Wireshark's "Follow TCP Stream" shows the
// conversation byte for byte.

// ServerPort is the server's port in every synthetic stream. JSON on a port
// of its own is not decoded by default: TsharkCommand says how.
const ServerPort = 7777

// UpstreamPort is the server's port in the second stream of a connection
// on which sockscope withheld, injected or edited frames: there the stream to
// ServerPort is what the client sent and received (its leg, with
// sockscope), and the stream to UpstreamPort what the server did
// (sockscope's leg, with the server). Elsewhere both legs carried the same
// bytes, and one stream says it.
const UpstreamPort = 7778

// MaxSegment is the most payload one packet carries: an IPv4 packet holds
// 65,535 bytes, 40 of them headers. Larger frames are split.
const MaxSegment = 65535 - ipHeader - tcpHeader

const (
	ethHeader = 14
	ipHeader  = 20
	tcpHeader = 20

	firstClientPort = 49152 // the dynamic range, 16,384 ports
	clientPorts     = 65536 - firstClientPort

	// Initial sequence numbers, client and server.
	isnClient = 1_000_000
	isnServer = 2_000_000
)

// TCP flags.
const (
	tcpFIN = 1 << iota
	tcpSYN
	tcpRST
	tcpPSH
	tcpACK
)

// TsharkCommand returns the tshark command line that reads the pcapng at
// path, with st what was exported there: the payloads decoded as HTTP when
// all were HTTP, or HTTP/1.1 and the HTTP/2 of connections it upgraded to
// h2c (tshark's HTTP dissector follows the Upgrade itself), as HTTP/2 when
// all were HTTP/2 (prior knowledge: tshark reads h2c on a port only when
// told), as RESP (Redis) when all were RESP,
// else as JSON, with the option that skips LSP's and DAP's
// Content-Length headers when some had one; not decoded at all when none
// was JSON (msgpack-RPC, raw bytes: tshark has no msgpack dissector for a
// TCP port, and its JSON one would misread them).
func TsharkCommand(path string, st Stats) string {
	as := "json"
	switch {
	case st.HTTP && (!st.HTTP2 || !st.HTTP2Prior) && !st.RESP && !st.Other:
		as = "http"
	case st.HTTP2 && !st.HTTP && !st.RESP && !st.Other:
		as = "http2"
	case st.RESP && !st.HTTP && !st.HTTP2 && !st.Other:
		as = "resp"
	case !st.JSON:
		return "tshark -r " + shellQuote(path)
	}
	s := fmt.Sprintf("tshark -r %s -d tcp.port==%d,%s", shellQuote(path), ServerPort, as)
	if st.Legs > 0 {
		s += fmt.Sprintf(" -d tcp.port==%d,%s", UpstreamPort, as)
	}
	if as == "json" && st.ContentLength {
		s += " -o json.ignore_leading_bytes:TRUE"
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// stream is the state of one synthetic TCP connection.
type stream struct {
	ifc    uint32  // interface (listener) index
	client [4]byte // client address
	port   uint16  // client port
	server uint16  // ServerPort, or UpstreamPort for a server's leg
	next   [2]uint32
}

// newStream returns the stream of connection conn (numbered from 1) to
// server port server.
func newStream(conn uint64, ifc uint32, server uint16) *stream {
	n := (conn-1)/clientPorts + 1 // 127.0.0.1, then 127.0.0.2, ...
	s := &stream{ifc: ifc, port: uint16(firstClientPort + (conn-1)%clientPorts), server: server}
	s.client = [4]byte{127, byte(n >> 16), byte(n >> 8), byte(n)}
	s.next = [2]uint32{isnClient, isnServer}
	return s
}

// skip advances the sequence number of the sender (the client if c2s) by
// n bytes it sent that are not written.
func (s *stream) skip(c2s bool, n int) {
	if c2s {
		s.next[0] += uint32(n)
	} else {
		s.next[1] += uint32(n)
	}
}

// segment builds the Ethernet frame of one TCP segment travelling from the
// client (c2s) or to it, with payload, and advances the sender's sequence
// number by its length (and by one for SYN and FIN).
func (s *stream) segment(dst []byte, c2s bool, flags uint8, payload []byte) []byte {
	from, to := 0, 1
	src, dstIP := s.client, [4]byte{127, 0, 0, 1}
	sport, dport := s.port, s.server
	if !c2s {
		from, to = 1, 0
		src, dstIP = dstIP, src
		sport, dport = dport, sport
	}
	seq, ack := s.next[from], s.next[to]
	if flags&tcpSYN != 0 && flags&tcpACK == 0 {
		ack = 0
	}
	s.next[from] += uint32(len(payload))
	if flags&(tcpSYN|tcpFIN) != 0 {
		s.next[from]++
	}

	dst = dst[:0]
	// Ethernet: zero addresses, IPv4.
	dst = append(dst, make([]byte, 12)...)
	dst = binary.BigEndian.AppendUint16(dst, 0x0800)
	// IPv4.
	ip := len(dst)
	total := ipHeader + tcpHeader + len(payload)
	dst = append(dst, 0x45, 0)
	dst = binary.BigEndian.AppendUint16(dst, uint16(total))
	dst = append(dst, 0, 0, 0x40, 0, 64, 6, 0, 0) // id 0, don't fragment, TTL 64, TCP, checksum
	dst = append(dst, src[:]...)
	dst = append(dst, dstIP[:]...)
	binary.BigEndian.PutUint16(dst[ip+10:], checksum(0, dst[ip:ip+ipHeader]))
	// TCP.
	tcp := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, sport)
	dst = binary.BigEndian.AppendUint16(dst, dport)
	dst = binary.BigEndian.AppendUint32(dst, seq)
	dst = binary.BigEndian.AppendUint32(dst, ack)
	dst = append(dst, tcpHeader/4<<4, flags)
	dst = binary.BigEndian.AppendUint16(dst, 65535) // window
	dst = append(dst, 0, 0, 0, 0)                   // checksum, urgent pointer
	dst = append(dst, payload...)
	// The checksum covers a pseudo-header: addresses, protocol, length.
	var pseudo [12]byte
	copy(pseudo[0:], src[:])
	copy(pseudo[4:], dstIP[:])
	pseudo[9] = 6
	binary.BigEndian.PutUint16(pseudo[10:], uint16(tcpHeader+len(payload)))
	binary.BigEndian.PutUint16(dst[tcp+16:], checksum(sum(0, pseudo[:]), dst[tcp:]))
	return dst
}

// sum adds b to the one's complement sum acc, as 16-bit big-endian words.
func sum(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

// checksum is the Internet checksum (RFC 1071) of b, starting from acc.
func checksum(acc uint32, b []byte) uint16 {
	acc = sum(acc, b)
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}
