package capture

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"sockscope/protocol"
	"sockscope/proxy"
)

// ownBase is where the wire ids of sockscope's own numeric requests start,
// counting down: high enough that a client counting up from 1 never meets
// them, low enough for a peer that keeps ids in 32 bits.
const ownBase = 1<<31 - 1

// idTable is the translation of request ids on one connection, once
// sockscope has sent a request of its own on it. Requests are tracked per
// direction that asks: ids of requests to the server and ids of requests
// to the client are separate spaces.
//
// Sockscope's own requests get wire ids no peer request in flight has.
// Should a peer then send a request with an id sockscope has in flight,
// that request is given a fresh wire id on its way and its reply gets its
// own id back, so that a collision is impossible by construction. The
// reply to sockscope's request is withheld: the peer that did not ask
// never sees it.
type idTable struct {
	ids   []string // the connection's id fields
	mu    sync.Mutex
	own   [2]map[string]*ownRequest // by asking direction, by wire id's key (protocol.IDKey)
	remap [2]map[string][]byte      // peer requests given another id: wire id's key → the peer's id
	key   []byte                    // scratch for idKey
	next  int                       // own requests so far
}

// ownRequest is a request sockscope sent, waiting for its reply.
type ownRequest struct {
	timer *time.Timer // frees the id when no reply comes
	// members, for a batch, are the wire ids of its requests: claimed
	// with it (so that a peer's request with one of them is renamed) and
	// freed with it. The batch itself is kept under its id, the set of
	// them (protocol.Classify), which its reply array has too.
	members []string
}

func newIDTable(ids []string) *idTable {
	t := &idTable{ids: ids}
	for d := range t.own {
		t.own[d] = map[string]*ownRequest{}
		t.remap[d] = map[string][]byte{}
	}
	return t
}

// claim picks the wire id of a request of sockscope's own in direction
// asking, of the type of like (the id the message carries: a number or a
// string), registers it, and frees it after timeout. taken reports ids
// the peer may have in flight.
func (t *idTable) claim(asking protocol.Dir, like []byte, timeout time.Duration, taken func(string) bool) (string, *ownRequest) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &ownRequest{}
	id := t.claimLocked(asking, like, taken, r)
	r.timer = time.AfterFunc(timeout, func() { t.forget(asking, id, r) })
	return id, r
}

// claimLocked picks a wire id as claim does and registers it as r's.
// Called with t.mu held.
func (t *idTable) claimLocked(asking protocol.Dir, like []byte, taken func(string) bool, r *ownRequest) string {
	for {
		t.next++
		id := strconv.Itoa(ownBase - t.next)
		if len(like) > 0 && like[0] == '"' {
			id = `"sockscope-` + strconv.Itoa(t.next) + `"`
		}
		if _, busy := t.own[asking][id]; busy || taken(id) {
			continue
		}
		t.own[asking][id] = r
		return id
	}
}

// claimBatch is claim for a JSON-RPC batch, payload (compact JSON): each
// of its requests gets a wire id of its own, and the batch is registered
// under the id its reply will have (the set of those ids). It returns the
// batch as it goes on the wire, and its id.
func (t *idTable) claimBatch(asking protocol.Dir, payload []byte, timeout time.Duration, taken func(string) bool) ([]byte, string, *ownRequest, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(payload, &elems); err != nil {
		return nil, "", nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &ownRequest{}
	out := []byte{'['}
	for i, el := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		if info := protocol.Classify(el, t.ids); info.Kind == protocol.KindRequest && info.ID != nil {
			id := t.claimLocked(asking, info.ID, taken, r)
			r.members = append(r.members, id)
			el = protocol.ReplaceID(el, info, []byte(id))
		}
		out = append(out, el...)
	}
	out = append(out, ']')
	id := string(protocol.Classify(out, t.ids).ID)
	t.own[asking][t.idKey([]byte(id))] = r
	r.timer = time.AfterFunc(timeout, func() { t.forget(asking, id, r) })
	return out, id, r, nil
}

// idKey returns the key id is kept under in own and remap: its canonical
// spelling (protocol.IDKey). The wire ids sockscope picks are canonical
// already. Called with t.mu held.
func (t *idTable) idKey(id []byte) string {
	t.key = protocol.IDKey(t.key[:0], id)
	k := string(t.key)
	if cap(t.key) > 4096 {
		t.key = nil // a huge id once: do not keep its memory
	}
	return k
}

// forget frees id (and a batch's members) unless it was claimed again
// meanwhile.
func (t *idTable) forget(asking protocol.Dir, id string, r *ownRequest) {
	t.mu.Lock()
	t.free(asking, t.idKey([]byte(id)), r)
	t.mu.Unlock()
}

// free removes r, kept under key, and its members from own[asking], where
// they are still r's. Called with t.mu held.
func (t *idTable) free(asking protocol.Dir, key string, r *ownRequest) {
	for _, k := range append(r.members, key) {
		if t.own[asking][k] == r {
			delete(t.own[asking], k)
		}
	}
}

// verdict returns the FrameFunc of direction d: it renames a peer request
// that collides with one of sockscope's, withholds the replies to
// sockscope's requests and gives renamed requests' replies their id back.
func (t *idTable) verdict(d protocol.Dir) proxy.FrameFunc {
	return func(wire []byte, f protocol.Frame, framing protocol.Framing) proxy.Verdict {
		t.mu.Lock()
		defer t.mu.Unlock()
		if len(t.own[d]) == 0 && len(t.own[d.Opposite()]) == 0 && len(t.remap[d.Opposite()]) == 0 || f.Truncated {
			return proxy.Verdict{}
		}
		info := protocol.ClassifyAs(framing, f.Data, d, t.ids)
		if info.ID == nil {
			return proxy.Verdict{}
		}
		enc := frameEncoder(framing, wire, f)
		// A peer that re-serializes the id it answers (QMP, any server that
		// decodes JSON into objects) may spell it otherwise: ids are looked
		// up by their canonical key.
		key := t.idKey(info.ID)
		switch info.Kind {
		case protocol.KindRequest: // d asks
			if _, collides := t.own[d][key]; !collides {
				return proxy.Verdict{}
			}
			t.next++
			wireID := strconv.Itoa(ownBase - t.next)
			if info.ID[0] == '"' {
				wireID = `"sockscope-peer-` + strconv.Itoa(t.next) + `"`
			}
			t.remap[d][wireID] = append([]byte(nil), info.ID...)
			return proxy.Verdict{Replace: enc.Append(nil, withWireID(framing, f.Data, info, []byte(wireID)))}
		case protocol.KindResponse: // answers a request d.Opposite() asked
			asked := d.Opposite()
			if r, ok := t.own[asked][key]; ok {
				t.free(asked, key, r)
				r.timer.Stop()
				return proxy.Verdict{Drop: true}
			}
			if peerID, ok := t.remap[asked][key]; ok {
				delete(t.remap[asked], key)
				return proxy.Verdict{Replace: enc.Append(nil, withWireID(framing, f.Data, info, peerID)), Observe: wire}
			}
		}
		return proxy.Verdict{}
	}
}

// withWireID returns message data, of framing f and classified as info,
// with id in place of its own: a msgpack-RPC msgid, or a JSON id.
func withWireID(f protocol.Framing, data []byte, info protocol.Info, id []byte) []byte {
	if f == protocol.FramingMsgpack {
		return protocol.MsgpackWithID(data, id)
	}
	return protocol.ReplaceID(data, info, id)
}
