//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/internal/goplstest"
	"sockscope/protocol"
)

// Neovim as the LSP client, gopls its server through sockscope wrap, as
// an editor's config starts it (testdata/nvim/lsp.lua): hover, definition,
// completion, rename and formatting answer as they do with gopls alone;
// stopping the client ends sockscope with gopls' status; every request
// of either side pairs, and is found by its method as the LSP spells it,
// though Neovim 0.7's JSON writes every '/' as "\/".
func TestWrapNeovimLSP(t *testing.T) {
	need(t, "nvim")
	dir := shortDir(t)
	ws := neovimWorkspace(t, dir)
	rec := filepath.Join(dir, "lsp.jsonl")
	run := func(sockscope, out string) string {
		t.Helper()
		return neovimLSP(t, ws, "SOCKSCOPE="+sockscope, "RECORDING="+rec, "OUT="+out)
	}
	alone := run("", filepath.Join(dir, "alone.txt"))
	wrapped := run(binary, filepath.Join(dir, "wrapped.txt"))
	want := "hover\ttrue\ndefinition\t5\ncompletion\ttrue\nrename\t3\nformatting\t0\nexit\t0 0\n"
	if alone != want {
		t.Fatalf("gopls alone answered Neovim:\n%s\nwant:\n%s", alone, want)
	}
	if wrapped != alone {
		t.Errorf("through sockscope, Neovim got:\n%s\nwith gopls alone:\n%s", wrapped, alone)
	}

	st := decodeRecording(t, rec)
	asked := map[string]int{}
	for _, r := range allRows(st) {
		if r.Kind != protocol.KindRequest {
			continue
		}
		if r.Status != protocol.StatusOK {
			t.Errorf("%s %s (id %s): %v, want ok", r.Dir, r.Method, r.ID, r.Status)
		}
		asked[r.Dir.String()+" "+r.Method]++
	}
	for _, m := range []string{"c2s initialize", "c2s textDocument/hover", "c2s textDocument/definition", "c2s textDocument/completion",
		"c2s textDocument/rename", "c2s textDocument/formatting", "c2s shutdown", "s2c workspace/configuration", "s2c client/registerCapability"} {
		if asked[m] == 0 {
			t.Errorf("no paired %s in the recording; paired: %v", m, asked)
		}
	}
	out := filepath.Join(dir, "hover.jsonl")
	if b, err := exec.Command(binary, "export", rec, "-o", out, "--filter", "method:textDocument/hover").CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, b)
	}
	if b, _ := os.ReadFile(out); bytes.Count(b, []byte("\n")) != 1 || !strings.Contains(string(b), `"method":"textDocument/hover"`) {
		t.Errorf("export --filter method:textDocument/hover: %q, want the one hover", b)
	}
}

// neovimWorkspace writes, in dir, the Go module Neovim edits in lsp.lua
// (main.go, with Greet), and returns its path.
func neovimWorkspace(t *testing.T, dir string) string {
	t.Helper()
	ws := filepath.Join(dir, "ws")
	os.MkdirAll(ws, 0o755)
	os.WriteFile(filepath.Join(ws, "go.mod"), []byte("module example.com/ws\n\ngo 1.22\n"), 0o644)
	src := "package main\n\nimport \"fmt\"\n\n// Greet returns a greeting.\nfunc Greet(name string) string {\n\treturn \"hello \" + name\n}\n\nfunc main() {\n\tmsg := Greet(\"world\")\n\tfmt.Println(msg)\n}\n"
	os.WriteFile(filepath.Join(ws, "main.go"), []byte(src), 0o644)
	return ws
}

// neovimLSP runs Neovim on ws's main.go with testdata/nvim/lsp.lua, its
// environment env (SOCKSCOPE, RECORDING or REMOTE, OUT) beside GOPLS, and
// returns what it wrote to OUT.
func neovimLSP(t *testing.T, ws string, env ...string) string {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "nvim", "lsp.lua"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nvim", "--headless", "--clean", "-c", "luafile "+script, "main.go")
	cmd.Dir = ws
	cmd.Env = append(append(os.Environ(), "GOPLS="+goplstest.Path(t), "XDG_RUNTIME_DIR="+filepath.Dir(ws)), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nvim: %v\n%s", err, b)
	}
	var out string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "OUT="); ok {
			out = v
		}
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("nvim wrote no answers: %v", err)
	}
	return string(got)
}
