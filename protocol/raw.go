package protocol

// rawFramer passes each chunk through as one frame, aliasing the chunk.
type rawFramer struct {
	out outFrame // the frame being emitted
	max int
	w   whole // classifies a chunk over the cap
}

// Feed implements Framer.
func (r *rawFramer) Feed(chunk []byte, emit func(*Frame)) {
	if len(chunk) == 0 {
		return
	}
	f := Frame{Data: capped(chunk, r.max), Size: len(chunk), Wire: len(chunk), Truncated: len(chunk) > r.max}
	if f.Truncated {
		f.Whole = r.w.of(chunk)
	}
	r.out.emit(emit, f)
}

// Flush implements Framer; a raw framer holds nothing back.
func (r *rawFramer) Flush(func(*Frame)) {}

// Reset implements Framer; a raw framer holds nothing back.
func (r *rawFramer) Reset() {}

func (r *rawFramer) pending() int { return 0 }

// Framing implements Framer.
func (*rawFramer) Framing() Framing { return FramingRaw }
