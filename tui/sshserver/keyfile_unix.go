//go:build unix

package sshserver

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkKeyFileOwner refuses a key file that group or others may write, or
// that belongs to someone other than the user serve runs as or root; the
// same for the directory holding it (its sticky bit keeps others from
// replacing the file, as in /tmp).
func checkKeyFileOwner(path string, fi fs.FileInfo) error {
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %04o), so they could let themselves in: chmod go-w %s", path, m, path)
	}
	uid := os.Getuid()
	if owner, ok := ownerOf(fi); ok && owner != 0 && owner != uid {
		return fmt.Errorf("%s belongs to uid %d, neither root nor the user serve runs as (uid %d), so that user could let themselves in: chown %d %s", path, owner, uid, uid, path)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if m := di.Mode(); m.Perm()&0o022 != 0 && m&fs.ModeSticky == 0 {
		return fmt.Errorf("%s is in %s, which group or others may write (mode %04o), so they could replace it: chmod go-w %s", path, dir, m.Perm(), dir)
	}
	if owner, ok := ownerOf(di); ok && owner != 0 && owner != uid {
		return fmt.Errorf("%s is in %s, which belongs to uid %d, neither root nor the user serve runs as (uid %d), so that user could replace it: move the file to a directory of yours", path, dir, owner, uid)
	}
	return nil
}

func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
