//go:build !unix

package store

import (
	"errors"
	"os"
	"time"
)

// lockFile leaves locking to bbolt where flock does not exist; the file is
// then checked before bbolt locks it.
func lockFile(*os.File, bool, time.Duration) error { return nil }

// mapFile is not available here; verifyFile reads the file instead.
func mapFile(*os.File, int64) ([]byte, func(), error) { return nil, nil, errors.ErrUnsupported }
