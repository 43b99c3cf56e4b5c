package protocol

// rawFramer passes each chunk through as one frame, aliasing the chunk.
type rawFramer struct {
	max int
}

// Feed implements Framer.
func (r *rawFramer) Feed(chunk []byte, emit func(Frame)) {
	if len(chunk) == 0 {
		return
	}
	emit(Frame{Data: capped(chunk, r.max), Size: len(chunk), Wire: len(chunk), Truncated: len(chunk) > r.max})
}

// Flush implements Framer; a raw framer holds nothing back.
func (r *rawFramer) Flush(func(Frame)) {}

// Reset implements Framer; a raw framer holds nothing back.
func (r *rawFramer) Reset() {}

func (r *rawFramer) pending() int { return 0 }

// Framing implements Framer.
func (*rawFramer) Framing() Framing { return FramingRaw }
