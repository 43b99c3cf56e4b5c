package capture

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sockscope/protocol"
)

// Held LSP requests edited and answered, and a rule that rewrites gopls'
// replies: each side receives frames re-framed with their new
// Content-Length, and the editor gets its answers with its own ids.
func TestInterceptGopls(t *testing.T) {
	e, lsp, ws := goplsBehind(t, Config{Intercept: Intercept{Filter: "method:textDocument/hover", On: true}})
	uri := lsp.Open(t, ws, `{}`)
	hover := func(line, char int) string {
		return fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":%d,"character":%d}}`, uri, line, char)
	}
	type result struct {
		r []byte
	}
	hoverAsync := func(id int, params string) chan result {
		ch := make(chan result, 1)
		go func() { ch <- result{lsp.Call(t, id, "textDocument/hover", params)} }()
		return ch
	}

	// Edit: the hover on Greet's call becomes one on Println, longer than
	// the original; gopls reads it whole by its new Content-Length.
	got := hoverAsync(2, hover(7, 15))
	h := heldNow(t, e, 1)[0]
	edited := fmt.Sprintf(`{"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": %s}`, hover(5, 20))
	if err := e.Edit(h.ID, []byte(edited)); err != nil {
		t.Fatal(err)
	}
	if r := (<-got).r; !strings.Contains(string(r), "Println") {
		t.Fatalf("the edited hover answered %s", r)
	}

	// Fabricate: gopls never sees hover 3; the editor gets the made-up
	// answer with its own id (client.Call pairs by id).
	got = hoverAsync(3, hover(7, 15))
	h = heldNow(t, e, 1)[0]
	if err := e.Fabricate(h.ID, []byte(`{"jsonrpc":"2.0","id":0,"result":{"contents":{"kind":"markdown","value":"made up"}}}`)); err != nil {
		t.Fatal(err)
	}
	if r := (<-got).r; !strings.Contains(string(r), "made up") {
		t.Fatalf("the fabricated hover: %s", r)
	}

	// A rule rewrites gopls' reply on its way to the editor.
	if err := e.SetIntercept(context.Background(), "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddRule(context.Background(), `kind:response "Greet says hello" set:$.result.contents.value="rewritten by a rule"`); err != nil {
		t.Fatal(err)
	}
	if r := lsp.Call(t, 4, "textDocument/hover", hover(7, 15)); !strings.Contains(string(r), "rewritten by a rule") {
		t.Fatalf("the rewritten hover: %s", r)
	}
	if rs := e.Rules(); len(rs) != 1 || rs[0].Hits != 1 {
		t.Fatalf("rules: %+v", rs)
	}
	lsp.Call(t, 5, "shutdown", "null")
	lsp.Mu.Lock()
	defer lsp.Mu.Unlock()
	if len(lsp.Unpair) > 0 {
		t.Errorf("the editor got replies it never asked for: %q", lsp.Unpair)
	}
	waitUntil(t, "the hover rows' acts", func() bool {
		acts := map[protocol.Act]bool{}
		for _, c := range e.Store.Conns() {
			for _, r := range rows(e.Store, c.ID) {
				if r.Method == "textDocument/hover" {
					acts[r.Act] = true
				}
			}
		}
		return acts[protocol.ActEdited] && acts[protocol.ActFabricated]
	})
}
