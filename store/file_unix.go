//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// lockFile takes the lock bbolt takes (flock, exclusive for a writer,
// shared for readers) on f, so that the file can be checked before bbolt
// maps it; bbolt's own flock on the same descriptor then succeeds at once.
// It fails with bolt.ErrTimeout as bbolt does.
func lockFile(f *os.File, exclusive bool, timeout time.Duration) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		case time.Now().After(deadline):
			return bolt.ErrTimeout
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mapFile maps size bytes of f read-only for verifyFile (no copies, no
// system call per page).
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, errors.New("cannot map")
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { syscall.Munmap(data) }, nil
}
