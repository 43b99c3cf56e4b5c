//go:build unix

package takeover

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// marker is what the marker file beside a taken-over path records. Paths are
// absolute for the human reading it; recovery uses only their base names,
// joined to the directory of the path it was asked about, so a marker still
// works when the directory is reached by another route.
type marker struct {
	Path    string    `json:"path"`
	Moved   string    `json:"moved"`
	Tmp     string    `json:"tmp"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Mode    string    `json:"mode"`
	UID     int       `json:"uid"`
	GID     int       `json:"gid"`
	Socket  fileID    `json:"socket"`
	// Server is the server's socket as Take found it at Path: once
	// sockscope's temporary socket is gone (renamed over Path), a socket
	// at Path that is neither this one nor sockscope's replaced them (a
	// restarted server's). Zero in the markers of older sockscopes.
	Server made `json:"server"`
}

// names are the files that one take-over of a path uses, all in its directory.
type names struct {
	dir, path, moved, tmp, marker string
}

// namesFor returns the names a take-over of path by process pid would use.
func namesFor(path string, pid int) names {
	dir, base := filepath.Split(path)
	dir = filepath.Clean(dir)
	hidden := "." + base + ".sockscope"
	return names{
		dir:    dir,
		path:   path,
		moved:  filepath.Join(dir, hidden+"-"+strconv.Itoa(pid)),
		tmp:    filepath.Join(dir, hidden+"-"+strconv.Itoa(pid)+".new"),
		marker: filepath.Join(dir, hidden+".json"),
	}
}

// markerPath returns the marker file for path.
func markerPath(path string) string { return namesFor(path, 0).marker }

// beside returns the names recorded in m, placed in the directory of path.
func (m *marker) beside(path string) names {
	n := namesFor(path, m.PID)
	n.moved = filepath.Join(n.dir, filepath.Base(m.Moved))
	n.tmp = filepath.Join(n.dir, filepath.Base(m.Tmp))
	return n
}

// readMarker reads the marker at name. It returns fs.ErrNotExist (wrapped)
// when there is none.
func readMarker(name string) (*marker, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("marker %s is unreadable (%v): if no sockscope is running, check the directory by hand and remove the marker", name, err)
	}
	if m.Moved == "" || m.PID <= 0 {
		return nil, fmt.Errorf("marker %s is incomplete: if no sockscope is running, check the directory by hand and remove the marker", name)
	}
	return &m, nil
}

// createMarker writes m to name, durably, and only if no marker exists yet:
// the file appears complete or not at all, so it doubles as the lock that
// keeps two sockscopes off one path. It returns fs.ErrExist (wrapped) when
// another marker got there first.
func createMarker(name string, m *marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	staging := name + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	if err := writeSynced(staging, b); err != nil {
		return err
	}
	defer os.Remove(staging)
	err = os.Link(staging, name)
	if err != nil && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrPermission) {
		// A file system without hard links: fall back to an exclusive create.
		err = writeExclusive(name, b)
	}
	if err != nil {
		return err
	}
	syncDir(filepath.Dir(name))
	return nil
}

func writeSynced(name string, b []byte) error {
	return writeFile(name, b, os.O_TRUNC)
}

func writeExclusive(name string, b []byte) error {
	return writeFile(name, b, os.O_EXCL)
}

// writeFile creates name (with flag O_TRUNC or O_EXCL), writes b and syncs
// it; on any failure the file is removed.
func writeFile(name string, b []byte, flag int) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// syncDir makes renames and creations in dir durable, as far as the system
// allows; failure only weakens crash safety against power loss, not SIGKILL.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
