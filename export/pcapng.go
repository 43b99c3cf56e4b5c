package export

import (
	"bufio"
	"encoding/binary"
	"io"
	"strings"
	"time"
)

// A pcapng file (draft-ietf-opsawg-pcapng) written little-endian: a
// section header, an interface description per listener, then enhanced
// packet blocks, each with its comment.

// Block types and option codes used.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockEPB = 0x00000006

	optEnd     = 0
	optComment = 1
	optIfName  = 2 // IDB: if_name
	optIfDesc  = 3 // IDB: if_description
	optTSResol = 9 // IDB: if_tsresol
	optUserApp = 4 // SHB: shb_userappl

	linkEthernet = 1 // LINKTYPE_ETHERNET (EN10MB)
	byteOrder    = 0x1A2B3C4D
	// maxOption bounds one option's value (its length is 16 bits).
	maxOption = 0xFFFC
)

// pcapngWriter writes the blocks of one section.
type pcapngWriter struct {
	w   *bufio.Writer
	buf []byte // the block being built
	err error
}

func newPCAPNGWriter(w io.Writer) *pcapngWriter {
	return &pcapngWriter{w: bufio.NewWriterSize(w, 256<<10)}
}

var le = binary.LittleEndian

// begin starts a block of type typ; its length is filled in by end.
func (p *pcapngWriter) begin(typ uint32) {
	p.buf = le.AppendUint32(p.buf[:0], typ)
	p.buf = le.AppendUint32(p.buf, 0)
}

// option appends an option, its value cut to maxOption bytes and padded
// to 32 bits.
func (p *pcapngWriter) option(code uint16, val []byte) {
	if len(val) > maxOption {
		val = val[:maxOption]
	}
	p.buf = le.AppendUint16(p.buf, code)
	p.buf = le.AppendUint16(p.buf, uint16(len(val)))
	p.buf = append(p.buf, val...)
	p.pad()
}

// text appends a UTF-8 string option (invalid bytes replaced); a string cut
// to maxOption is cut at a character boundary.
func (p *pcapngWriter) text(code uint16, s string) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxOption {
		s = strings.ToValidUTF8(s[:maxOption], "")
	}
	p.option(code, []byte(s))
}

func (p *pcapngWriter) pad() {
	for len(p.buf)%4 != 0 {
		p.buf = append(p.buf, 0)
	}
}

// end closes the options, fills in the block's length and writes it.
func (p *pcapngWriter) end(withOptions bool) {
	if withOptions {
		p.buf = le.AppendUint32(p.buf, optEnd) // code 0, length 0
	}
	n := uint32(len(p.buf) + 4)
	le.PutUint32(p.buf[4:], n)
	p.buf = le.AppendUint32(p.buf, n)
	if p.err == nil {
		_, p.err = p.w.Write(p.buf)
	}
}

// section writes the section header block.
func (p *pcapngWriter) section(creator string) {
	p.begin(blockSHB)
	p.buf = le.AppendUint32(p.buf, byteOrder)
	p.buf = le.AppendUint16(p.buf, 1) // version 1.0
	p.buf = le.AppendUint16(p.buf, 0)
	p.buf = le.AppendUint64(p.buf, ^uint64(0)) // section length unknown
	p.text(optUserApp, creator)
	p.end(true)
}

// iface writes an interface description: Ethernet, timestamps in
// nanoseconds.
func (p *pcapngWriter) iface(name, desc string) {
	p.begin(blockIDB)
	p.buf = le.AppendUint16(p.buf, linkEthernet)
	p.buf = le.AppendUint16(p.buf, 0)
	p.buf = le.AppendUint32(p.buf, 0) // no snap length
	p.text(optIfName, name)
	if desc != "" {
		p.text(optIfDesc, desc)
	}
	p.option(optTSResol, []byte{9})
	p.end(true)
}

// packet writes an enhanced packet block on interface ifc.
func (p *pcapngWriter) packet(ifc uint32, at time.Time, data []byte, comment string) {
	p.begin(blockEPB)
	ns := uint64(at.UnixNano())
	p.buf = le.AppendUint32(p.buf, ifc)
	p.buf = le.AppendUint32(p.buf, uint32(ns>>32))
	p.buf = le.AppendUint32(p.buf, uint32(ns))
	p.buf = le.AppendUint32(p.buf, uint32(len(data)))
	p.buf = le.AppendUint32(p.buf, uint32(len(data)))
	p.buf = append(p.buf, data...)
	p.pad()
	if comment != "" {
		p.text(optComment, comment)
	}
	p.end(comment != "")
}

// flush writes what is buffered and returns the first error.
func (p *pcapngWriter) flush() error {
	if p.err == nil {
		p.err = p.w.Flush()
	}
	return p.err
}
