package hugemem

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// A region asks for huge pages: the mapping of its aligned middle says so
// (VmFlags "hg" in /proc/self/smaps).
func TestRegionAdvisesHugePages(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("this kernel has no transparent huge pages:", err)
	}
	b := region(RegionSize)
	mid := (uintptr(unsafe.Pointer(unsafe.SliceData(b))) + hugePage - 1) &^ (hugePage - 1)
	flags, err := vmFlags(mid)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the mapping at %#x has VmFlags %q, no hg", mid, flags)
	}
}

// vmFlags returns the VmFlags of the mapping holding address a.
func vmFlags(a uintptr) (string, error) {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= a && a < hi
			continue
		}
		if in {
			if f, ok := strings.CutPrefix(line, "VmFlags:"); ok {
				return strings.TrimSpace(f), nil
			}
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", a)
}
