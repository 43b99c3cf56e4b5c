package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"sockscope/session"
)

// rotationFlags are the flags that spread a recording over files.
type rotationFlags struct {
	recordMaxSize  string
	recordMaxFiles int
}

// addRotationFlags declares the flags that spread a recording over files.
func addRotationFlags(f *pflag.FlagSet, o *options) {
	f.StringVar(&o.recordMaxSize, "record-max-size", "", "begin a new file once the recording's file reaches `SIZE` (such as 100M; K, M, G are 1024-multiples); the next files are FILE with .1, .2, … before its extension, each a session on its own (tcpdump -C)")
	f.IntVar(&o.recordMaxFiles, "record-max-files", 0, "keep only the newest `N` files of a --record-max-size recording (tcpdump -W)")
}

// rotation is what the rotation flags ask for.
func (o options) rotation() (session.Rotation, error) {
	var rot session.Rotation
	if o.recordMaxSize == "" && o.recordMaxFiles == 0 {
		return rot, nil
	}
	if o.record == "" {
		return rot, errors.New("--record-max-size and --record-max-files rotate a --record FILE: say --record")
	}
	if o.recordMaxSize == "" {
		return rot, errors.New("--record-max-files needs --record-max-size")
	}
	n, err := parseSize(o.recordMaxSize)
	if err != nil || n <= 0 {
		return rot, fmt.Errorf("--record-max-size %q: want a size such as 100M", o.recordMaxSize)
	}
	if o.recordMaxFiles < 0 {
		return rot, fmt.Errorf("--record-max-files %d: want 1 or more (0: keep every file)", o.recordMaxFiles)
	}
	return session.Rotation{MaxSize: n, MaxFiles: o.recordMaxFiles}, nil
}

// parseSize parses a byte count with an optional K, M or G suffix
// (1024-multiples; "B", "iB" after it allowed).
func parseSize(s string) (int64, error) {
	u := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if n := len(u); n > 0 {
		switch u[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			u = u[:n-1]
		}
	}
	v, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		return 0, err
	}
	if v > (1<<62)/mult {
		return 0, errors.New("too large")
	}
	return v * mult, nil
}
