package index

import "io/fs"

// FileState tells one state of a session file from another beyond its
// size and beginning: its modification time, and where the system has
// them its change time and inode. A copy put in place with cp -p or
// touch -r keeps the modification time but not the change time; a file
// moved in place with mv has another inode. An index is fresh only for
// the state it was written for (Index.Fresh).
type FileState struct {
	mod, change int64 // unix nanoseconds (noTime when not known)
	ino         uint64
}

// StateOf returns the state of the file fi describes.
func StateOf(fi fs.FileInfo) FileState {
	s := FileState{mod: stamp(fi.ModTime()), change: noTime}
	if c, ino, ok := changeAndInode(fi); ok {
		s.change, s.ino = stamp(c), ino
	}
	return s
}
