package feed

import (
	"context"
	"fmt"
	"sync"

	"sockscope/capture"
	"sockscope/protocol"
)

// IDs numbers the connections of several instances merged into one view
// (attach --all): each instance's connection gets a number of the
// attaching side's own, in the order they are first seen.
type IDs struct {
	mu   sync.Mutex
	last uint64
	fwd  map[idKey]uint64
	back map[uint64]idKey
}

type idKey struct {
	r  *Remote
	id uint64
}

// Merge makes the remotes share one numbering of connections.
func Merge(rs ...*Remote) *IDs {
	ids := &IDs{fwd: map[idKey]uint64{}, back: map[uint64]idKey{}}
	for _, r := range rs {
		r.ids = ids
	}
	return ids
}

func (ids *IDs) local(r *Remote, id uint64) uint64 {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	k := idKey{r, id}
	if n, ok := ids.fwd[k]; ok {
		return n
	}
	ids.last++
	ids.fwd[k], ids.back[ids.last] = ids.last, k
	return ids.last
}

// Control is the control port of an attached view: each request goes to
// the instance the connection belongs to, over its feed.
type Control struct {
	remotes []*Remote
}

// NewControl returns the control port over rs (merged with Merge when
// there are several).
func NewControl(rs ...*Remote) *Control { return &Control{remotes: rs} }

// remote finds whose connection local id is, and its number there.
func (c *Control) remote(id uint64) (*Remote, uint64, error) {
	if len(c.remotes) == 1 && c.remotes[0].ids == nil {
		return c.remotes[0], id, nil
	}
	if ids := c.remotes[0].ids; ids != nil {
		ids.mu.Lock()
		k, ok := ids.back[id]
		ids.mu.Unlock()
		if ok {
			return k.r, k.id, nil
		}
	}
	return nil, 0, fmt.Errorf("connection %d: no instance has it", id)
}

// Send asks the instance to write msg on its connection conn (see
// capture.Engine.Send).
func (c *Control) Send(ctx context.Context, conn uint64, dir protocol.Dir, msg []byte) (capture.Sent, error) {
	r, id, err := c.remote(conn)
	if err != nil {
		return capture.Sent{}, err
	}
	return r.call(ctx, request{Op: "send", Conn: id, Dir: dir.String(), Msg: msg})
}

// SendNew asks the instance to open a connection of its own like conn and
// send msg on it (see capture.Engine.SendNew).
func (c *Control) SendNew(ctx context.Context, like uint64, msg []byte) (capture.Sent, error) {
	r, id, err := c.remote(like)
	if err != nil {
		return capture.Sent{}, err
	}
	return r.call(ctx, request{Op: "send_new", Conn: id, Msg: msg})
}
