package protocol

// gather assembles the frames of a framer that finds each frame's end by
// scanning (HTTP, RESP, msgpack): a frame that lies entirely in one chunk
// is emitted aliasing the chunk; one that spans chunks is gathered into a
// buffer of at most limit bytes, reused for the next such frame (up to
// keepBuf bytes of it). Once a framer finds its bytes are not of its
// protocol, gather passes the rest of the stream through raw, every frame
// with the reason.
type gather struct {
	out   outFrame // the frame being emitted
	max   int      // the payload kept of a frame
	limit int      // the bytes buffered of a frame spanning chunks (>= max)
	buf   []byte   // the first limit bytes of the partial frame
	size  int      // bytes of the partial frame so far, buffered or not
	start int      // where the current frame starts in the chunk being fed
	// broken, once set, says why the stream is no longer framed: every
	// byte from then on is emitted raw with it.
	broken string
	// lead counts bytes passed between frames that belong to none (skip):
	// the next frame's Wire counts them.
	lead int
	// unseen counts the bytes of the partial frame not seen (hole): they
	// count in its size, and what follows them is not kept, so the bytes
	// kept are the frame's start, whole. gapped is those a gap took.
	unseen, gapped int
}

// begin notes that a frame starts at offset i of the chunk being fed.
func (g *gather) begin(i int) { g.start = i }

// feed begins a Feed of chunk, a frame starting at its first byte, and
// reports whether to frame it: once the stream is broken it emits chunk
// raw instead, and reports false.
func (g *gather) feed(chunk []byte, emit func(*Frame)) bool {
	if g.broken != "" {
		g.raw(chunk, emit)
		return false
	}
	g.start = 0
	return true
}

// complete emits the frame that ends at offset end of chunk.
func (g *gather) complete(chunk []byte, end int, emit func(*Frame)) {
	part := chunk[g.start:end]
	lead := g.lead
	g.lead = 0
	if g.size == 0 {
		g.out.emit(emit, Frame{Data: capped(part, g.max), Size: len(part), Wire: lead + len(part), Truncated: len(part) > g.max})
		g.start = end
		return
	}
	if g.unseen == 0 {
		g.buf = appendCap(g.buf, part, g.limit)
	}
	size := g.size + len(part)
	data := g.buf
	f := Frame{Data: capped(data, min(size, g.max)), Size: size, Wire: lead + size, Truncated: size > g.max}
	g.unseenInto(&f)
	g.buf, g.size, g.start = nil, 0, end
	g.out.emit(emit, f)
	if cap(data) <= keepBuf {
		g.buf = data[:0]
	}
}

// skip passes the bytes from the frame's start to offset end of chunk as
// belonging to no frame (RESP's empty line between commands): the next
// frame's Wire counts them.
func (g *gather) skip(end int) {
	g.lead += g.size + end - g.start
	g.buf, g.size, g.start = g.buf[:0], 0, end
}

// carry keeps the partial frame's bytes at the end of a chunk.
func (g *gather) carry(chunk []byte) {
	if part := chunk[g.start:]; len(part) > 0 {
		if g.unseen == 0 {
			g.buf = appendCap(g.buf, part, g.limit)
		}
		g.size += len(part)
	}
	g.start = 0
}

// hole counts n bytes of the partial frame not seen (a gap took gap of
// them; a recording did not keep the others): it goes on, keeping what it
// has of its start. Call it between Feeds.
func (g *gather) hole(n, gap int) {
	g.size += n
	g.unseen += n
	g.gapped += gap
}

// cut ends the partial frame n bytes on, which were not seen (hole): a
// recording measured it, and kept its start.
func (g *gather) cut(n, gap int, emit func(*Frame)) {
	g.hole(n, gap)
	g.complete(nil, 0, emit)
}

// unseenInto marks f, the frame being emitted, as not all seen, if it is
// not, and forgets it: truncated, and why if a gap took some of it.
func (g *gather) unseenInto(f *Frame) {
	if g.unseen > 0 {
		f.Data, f.Truncated = capped(g.buf, g.max), true
		if g.gapped > 0 {
			f.Err = GapErr(g.gapped)
		}
	}
	g.unseen, g.gapped = 0, 0
}

// view returns the partial frame from its start to offset end of chunk,
// contiguous: the chunk itself or the buffer (at most limit bytes).
func (g *gather) view(chunk []byte, end int) []byte {
	if g.size == 0 {
		return chunk[g.start:end]
	}
	return appendCap(g.buf, chunk[g.start:end], g.limit)
}

// head returns the first bytes of the frame ending at offset end of
// chunk, as many as dst holds (or the frame has): in chunk if the frame
// lies in it, else copied into dst.
func (g *gather) head(dst, chunk []byte, end int) []byte {
	if g.size == 0 {
		return chunk[g.start:min(end, g.start+len(dst))]
	}
	n := copy(dst, g.buf)
	n += copy(dst[n:], chunk[g.start:end])
	return dst[:n]
}

// breakRaw gives up framing for the reason why: the partial frame and the
// rest of chunk (from offset g.start) are emitted raw.
func (g *gather) breakRaw(chunk []byte, why string, emit func(*Frame)) {
	g.broken = why
	g.carry(chunk)
	g.flushRaw(emit)
}

// raw emits chunk as one raw frame of a broken stream.
func (g *gather) raw(chunk []byte, emit func(*Frame)) {
	if len(chunk) > 0 {
		g.out.emit(emit, Frame{Data: capped(chunk, g.max), Size: len(chunk), Wire: g.lead + len(chunk), Truncated: len(chunk) > g.max, Err: g.broken})
		g.lead = 0
	}
}

// flushRaw emits the partial frame, if any, raw with the reason.
func (g *gather) flushRaw(emit func(*Frame)) {
	if g.size > 0 {
		g.out.emit(emit, Frame{Data: capped(g.buf, min(g.size, g.max)), Size: g.size, Wire: g.lead + g.size, Truncated: g.size > g.max, Err: g.broken})
		g.lead = 0
	}
	g.buf, g.size, g.start, g.unseen, g.gapped = nil, 0, 0, 0, 0
}

// flush emits the partial frame at the end of the stream, with why (or,
// when the stream is broken, its reason).
func (g *gather) flush(why string, emit func(*Frame)) {
	if g.broken == "" {
		g.broken = why
		defer func() { g.broken = "" }()
	}
	g.flushRaw(emit)
}

func (g *gather) pending() int { return g.lead + g.size }
