package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"sockscope/protocol"
	"sockscope/store"
)

// injectedStore is the demo session plus what a resend of divide looks like
// in the store: the request sockscope sent (injected) and the server's
// reply it consumed (withheld).
func injectedStore(t testing.TB) *store.Store {
	st := demoStore(t)
	st.Update(func(tx *store.Tx) {
		at := t0.Add(2 * time.Second)
		req := msgOf(1, protocol.C2S, at, `{"rid":900001,"method":"divide","params":[1,0]}`)
		req.Injected = true
		req.Seq = tx.AddMessage(&req)
		row := tx.AddRow(&store.Row{Conn: 1, Dir: protocol.C2S, Kind: protocol.KindRequest, ID: "900001", Method: "divide",
			Status: protocol.StatusPending, Injected: true, Req: req.Seq, ReqAt: at, ReqSize: req.Frame.Size})
		resp := msgOf(1, protocol.S2C, at.Add(3*time.Millisecond), `{"rid":900001,"success":false,"error":"division by zero"}`)
		resp.Withheld = true
		resp.Seq = tx.AddMessage(&resp)
		tx.Answer(row, &resp)
	})
	return st
}

func TestInjectedMarks(t *testing.T) {
	m := newTestModel(t, injectedStore(t), 80, 24)
	r := rowOf(t, m, m.list.sel)
	if !r.Injected || r.Status != protocol.StatusError {
		t.Fatalf("the newest row: injected %v status %v", r.Injected, r.Status)
	}
	v := view(m)
	for _, want := range []string{"divide               inj error", "injected by sockscope", "→ sockscope asked conn #1", "request → c2s · 47B · injected"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q:\n%s", want, v)
		}
	}
	// Other rows carry no flag.
	if strings.Count(v, " inj ") != 1 {
		t.Errorf("the flag is on more than the injected row:\n%s", v)
	}
	m = press(t, m, "r") // the raw stream: the injected request, its withheld reply
	v = view(m)
	if !strings.Contains(v, "900001 divide     inj") || !strings.Contains(v, "900001            w/h") || !strings.Contains(v, "withheld: sockscope consumed it") {
		t.Errorf("raw stream:\n%s", v)
	}
}

// Golden views of what the way back adds: an injected row, and the compose
// overlay. Regenerate with go test ./ui -update.
func TestGoldenControl(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		name := fmt.Sprintf("%dx%d", sz[0], sz[1])
		t.Run(name+"/injected", func(t *testing.T) {
			m := newControlModel(t, injectedStore(t), sz[0], sz[1], &fakeControl{})
			golden.RequireEqual(t, []byte(view(m)))
		})
		t.Run(name+"/compose", func(t *testing.T) {
			m := newControlModel(t, demoStore(t), sz[0], sz[1], &fakeControl{})
			m = selectMethod(t, m, "getUser")
			m = pressRun(t, m, "n")
			golden.RequireEqual(t, []byte(view(m)))
		})
		t.Run(name+"/confirm", func(t *testing.T) {
			m := newControlModel(t, injectedStore(t), sz[0], sz[1], &fakeControl{})
			m = pressRun(t, m, "R")
			golden.RequireEqual(t, []byte(view(m)))
		})
	}
}

// n prefills from the peers' messages before sockscope's own: the resend
// of divide carries sockscope's wire id, the client's divide its own.
func TestComposePrefersThePeers(t *testing.T) {
	m := selectMethod(t, newControlModel(t, injectedStore(t), 80, 24, &fakeControl{}), "divide")
	m = pressRun(t, m, "n")
	if v := view(m); strings.Contains(v, "900001") || !strings.Contains(v, `"method": "divide"`) {
		t.Errorf("n: prefilled from sockscope's resend, not the client's divide:\n%s", v)
	}
}

// An edited request shows, under the frame as forwarded, the whole of what
// it was, in both the exchange's detail and the raw stream's: the diff in
// the section's title was cut at the pane's width, and showed nothing of
// the old frame but its start.
func TestEditedShowsWhatItWas(t *testing.T) {
	st := demoStore(t)
	st.Update(func(tx *store.Tx) {
		at := t0.Add(2 * time.Second)
		was := `{"rid":900002,"method":"echo","params":{"text":"the text as the client wrote it"}}`
		req := msgOf(1, protocol.C2S, at, `{"rid":900002,"method":"echo","params":{"text":"what the server got"}}`)
		req.Note = &protocol.Note{Act: protocol.ActEdited, Held: time.Second,
			Diff: "-" + was + "\n+" + string(req.Frame.Data), Was: []byte(was)}
		req.Seq = tx.AddMessage(&req)
		row := tx.AddRow(&store.Row{Conn: 1, Dir: protocol.C2S, Kind: protocol.KindRequest, ID: "900002", Method: "echo",
			Status: protocol.StatusPending, Req: req.Seq, ReqAt: at, ReqSize: req.Frame.Size})
		resp := msgOf(1, protocol.S2C, at.Add(time.Millisecond), `{"rid":900002,"success":true,"data":"what the server got"}`)
		resp.Seq = tx.AddMessage(&resp)
		tx.Answer(row, &resp)
	})
	m := newTestModel(t, st, 80, 60)
	m = press(t, m, "tab") // the detail pane, whole
	for _, raw := range []bool{false, true} {
		v := view(m)
		if !strings.Contains(v, "edit by hand, held 1s") {
			t.Errorf("raw %v: no note:\n%s", raw, v)
		}
		i := strings.Index(v, "before the edit:")
		if i < 0 || !strings.Contains(v[i:], `"the text as the client wrote it"`) {
			t.Errorf("raw %v: the frame before the edit is not shown whole under it:\n%s", raw, v)
		}
		m = press(t, m, "esc", "r", "k") // the raw stream: the request, above its reply
	}
}
