package index

import (
	"context"
	"os"

	"sockscope/store"
)

// Scan counts every record of the index x (complete: nothing writes it
// meanwhile) into st: its connections, then its frames, then its rows,
// block by block, reporting after each block how many of x's blocks are
// done, of how many. complete gives a row whose record cut its method its
// whole name (from its frame). It stops early when ctx is done and returns
// its error.
func Scan(ctx context.Context, x *Index, st *Stats, complete func(*store.Row), progress func(done, total int)) error {
	x.mu.Lock()
	f := x.f
	var tables [nKinds][]int64
	for k := range tables {
		tables[k] = append([]int64(nil), x.tables[k]...)
	}
	x.mu.Unlock()
	total := len(tables[kindConns]) + len(tables[kindMsgs]) + len(tables[kindRows])
	done := 0
	b := make([]byte, BlockSize)
	var seq uint64
	for _, k := range []int{kindConns, kindMsgs, kindRows} {
		seq = 0
		_, size := per(k)
		for _, no := range tables[k] {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := readBlock(f, no, b); err != nil {
				return err
			}
			n := int(le.Uint32(b[4:]))
			for j := range n {
				rec := b[blockHead+j*size : blockHead+(j+1)*size]
				seq++
				switch k {
				case kindConns:
					st.setConn(decodeConn(rec), false)
				case kindMsgs:
					var m msgRec
					m.decode(rec)
					if m.n > 0 {
						st.frame(&m)
					}
				case kindRows:
					r, f := decodeRow(rec, seq)
					if !st.fullMethod(&r, f) && complete != nil {
						complete(&r)
					}
					if r.Conn != 0 || r.Req != 0 || r.Resp != 0 { // not a skipped seq's empty record
						st.row(nil, &r)
					}
				}
			}
			done++
			if progress != nil {
				progress(done, total)
			}
		}
	}
	return nil
}

func readBlock(f *os.File, no int64, b []byte) error {
	_, err := f.ReadAt(b, no*BlockSize)
	return err
}
