package sshserver

import (
	"fmt"
	"io"
	"os"
)

// Key files are read as sshd reads authorized_keys with StrictModes on:
// whoever can write a key file can let themselves in, so a file (or its
// directory) that someone other than the user serve runs as, or root, may
// write is refused at start, with the command that fixes it. Only regular
// files of sane size are read: a FIFO or a device never hangs serve.
const (
	maxKeyFileSize = 4 << 20
	// maxKeyLine is OpenSSH's bound on a public key (SSH_MAX_PUBKEY_BYTES);
	// the largest RSA key's line is a fifth of it.
	maxKeyLine = 16 << 10
)

// readKeyFile returns a key file's contents after checking what it is and
// who may write it.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): list the keys in a plain file", path, fi.Mode().Type())
	}
	if fi.Size() > maxKeyFileSize {
		return nil, fmt.Errorf("%s is %d bytes, more than a key file may hold (%d MiB): is it the right file?", path, fi.Size(), maxKeyFileSize>>20)
	}
	if err := checkKeyFileOwner(path, fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if now, err := f.Stat(); err != nil || !os.SameFile(fi, now) {
		return nil, fmt.Errorf("%s changed while it was read: start again", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%s grew beyond %d MiB while it was read: is it the right file?", path, maxKeyFileSize>>20)
	}
	return data, nil
}
