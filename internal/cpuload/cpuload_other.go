//go:build !linux

package cpuload

import (
	"errors"
	"time"
)

// readStat has no source here: a Meter never finds the machine busy.
func readStat() (stat, error) { return stat{}, errors.ErrUnsupported }

// readCPU has no source here: a Share never owes.
func readCPU(int) (self, other time.Duration, err error) { return 0, 0, errors.ErrUnsupported }
