package indexbuild

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sockscope/index"
	"sockscope/internal/sessiongen"
)

// BenchmarkBuild indexes a 16 MiB session file (with no one reading).
func BenchmarkBuild(b *testing.B) {
	path := filepath.Join(b.TempDir(), "s.jsonl")
	if err := sessiongen.Write(path, sessiongen.Config{Size: 16 << 20, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		os.Remove(index.PathOf(path))
		s, err := Open(context.Background(), path, Settings{}, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Build.Wait(); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
