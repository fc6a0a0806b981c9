package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
	"os"
	"runtime/debug"
)

// The on-disk format of bbolt 1.x (internal/common in its source), read here
// with plain file reads before bbolt maps the file: bbolt trusts every page
// it reaches, so a truncated file faults (SIGBUS) and a damaged page trips
// one of its assertions (a panic). verifyFile finds both first, without
// touching the memory map and without writing.
const (
	boltMagic   = 0xED0CDAED
	boltVersion = 2

	pageHeaderSize = 16 // id uint64, flags uint16, count uint16, overflow uint32
	elementSize    = 16 // branch: pos, ksize uint32, pgid uint64; leaf: flags, pos, ksize, vsize uint32
	metaSize       = 64 // magic, version, pageSize, flags uint32; root, sequence, freelist, pgid, txid, checksum uint64
	checksumOffset = 56
	bucketHeader   = 16 // root pgid, sequence uint64

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	leafIsBucket = 0x01

	noFreelist = ^uint64(0)

	// Bounds of the walk: bbolt's trees are a few levels deep and this
	// cache nests buckets three deep; anything beyond is damage.
	maxTreeDepth   = 64
	maxBucketDepth = 16
	maxProblems    = 5
)

// ne is the byte order bbolt writes its structs in: the machine's own.
var ne = binary.NativeEndian

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages [0, pgid) are in use or free
	txid     uint64
}

// parseMeta reads a meta page's body; ok is false when its magic, version
// or checksum do not hold (bbolt's Meta.Validate).
func parseMeta(b []byte) (m boltMeta, magic, ok bool) {
	if len(b) < pageHeaderSize+4 {
		return m, false, false
	}
	magic = ne.Uint32(b[pageHeaderSize:]) == boltMagic
	if len(b) < pageHeaderSize+metaSize {
		return m, magic, false
	}
	body := b[pageHeaderSize : pageHeaderSize+metaSize]
	h := fnv.New64a()
	h.Write(body[:checksumOffset])
	ok = magic && ne.Uint32(body[4:]) == boltVersion && ne.Uint64(body[checksumOffset:]) == h.Sum64()
	m = boltMeta{
		pageSize: ne.Uint32(body[8:]),
		root:     ne.Uint64(body[16:]),
		freelist: ne.Uint64(body[32:]),
		pgid:     ne.Uint64(body[40:]),
		txid:     ne.Uint64(body[48:]),
	}
	return m, magic, ok
}

// errNotBolt says a file is not a bbolt file at all (no meta page has
// bbolt's magic number).
var errNotBolt = errors.New("not a bbolt file")

// verifyFile checks what bbolt will rely on: a valid meta page, a file as
// long as that commit's high-water mark, and every page reachable from it
// (bucket trees, inline buckets, the freelist) well-formed, in bounds and
// reached once. It returns errNotBolt, a list of problems, or nil. It reads
// the file through a read-only mapping of its own where there is one: a
// fault on it (a file truncated meanwhile) is a problem, not a crash.
func verifyFile(f *os.File, size int64) (err error) {
	meta, err := chooseMeta(f, size)
	if err != nil {
		return err
	}
	psize := int64(meta.pageSize)
	if meta.pgid > uint64(size/psize) {
		return fmt.Errorf("the file is truncated: it has %d bytes, its last commit (transaction %d) needs %d pages of %d bytes", size, meta.txid, meta.pgid, psize)
	}
	if meta.root < 2 || meta.root >= meta.pgid {
		return fmt.Errorf("its root bucket is page %d, outside pages 2..%d", meta.root, meta.pgid-1)
	}
	w := &walker{psize: int(psize), hwm: meta.pgid, reached: newBitset(meta.pgid)}
	end := int64(meta.pgid) * psize
	if data, unmap, merr := mapFile(f, end); merr == nil {
		defer unmap()
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(interface{ Addr() uintptr }); !ok {
					panic(r)
				}
				err = fmt.Errorf("reading it faulted (%v): it was truncated or changed meanwhile, or the disk failed", r)
			}
		}()
		w.read = func(off int64, n int) ([]byte, error) { return data[off : off+int64(n)], nil }
	} else {
		w.read = func(off int64, n int) ([]byte, error) {
			b := make([]byte, n)
			if got, err := f.ReadAt(b, off); got != n {
				return nil, err
			}
			return b, nil
		}
	}
	w.reached.set(0)
	w.reached.set(1)
	w.tree(meta.root, 0, 0)
	if meta.freelist != noFreelist {
		w.freelist(meta.freelist)
	}
	if len(w.problems) == 0 {
		return nil
	}
	msg := w.problems[0]
	for _, p := range w.problems[1:] {
		msg += "; " + p
	}
	if w.more > 0 {
		msg += fmt.Sprintf("; and %d more", w.more)
	}
	return errors.New(msg)
}

// chooseMeta finds the page size as bbolt does (from meta page 0, else by
// looking for meta page 1 at each possible page size) and returns the meta
// bbolt will use: the valid one with the higher transaction id.
func chooseMeta(r io.ReaderAt, size int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	read := func(off int64) []byte {
		n, _ := r.ReadAt(buf, off)
		return buf[:n]
	}
	var psize int64
	m, anyMagic, valid := parseMeta(read(0))
	if valid {
		psize = int64(m.pageSize)
	}
	for i := 0; psize == 0 && i <= 14; i++ {
		off := int64(1024) << i
		if off >= size-1024 {
			break
		}
		m, magic, valid := parseMeta(read(off))
		anyMagic = anyMagic || magic
		if valid && int64(m.pageSize) == off {
			psize = off
		}
	}
	if psize == 0 {
		if !anyMagic {
			return boltMeta{}, errNotBolt
		}
		return boltMeta{}, errors.New("both of its meta pages are invalid (bad checksum or version)")
	}
	if psize < 1024 || psize > 1<<24 || bits.OnesCount64(uint64(psize)) != 1 {
		return boltMeta{}, fmt.Errorf("its page size %d is not one bbolt writes", psize)
	}
	if size < 2*psize {
		return boltMeta{}, fmt.Errorf("the file is truncated: it has %d bytes, less than its two meta pages (%d)", size, 2*psize)
	}
	var metas []boltMeta
	for id := int64(0); id < 2; id++ {
		if m, _, valid := parseMeta(read(id * psize)); valid {
			metas = append(metas, m)
		}
	}
	switch {
	case len(metas) == 0:
		return boltMeta{}, errors.New("both of its meta pages are invalid (bad checksum or version)")
	case len(metas) == 2 && metas[1].txid > metas[0].txid:
		return metas[1], nil
	}
	return metas[0], nil
}

type walker struct {
	read     func(off int64, n int) ([]byte, error) // within the high-water mark
	psize    int
	hwm      uint64
	reached  bitset
	problems []string
	more     int
}

func (w *walker) problem(format string, args ...any) {
	if len(w.problems) < maxProblems {
		w.problems = append(w.problems, fmt.Sprintf(format, args...))
	} else {
		w.more++
	}
}

// page reads page id with its overflow pages, checking that it is in
// bounds, says it is page id, and was not reached before.
func (w *walker) page(id uint64, from string) []byte {
	if id < 2 || id >= w.hwm {
		w.problem("%s points to page %d, outside pages 2..%d", from, id, w.hwm-1)
		return nil
	}
	off := int64(id) * int64(w.psize)
	head, err := w.read(off, pageHeaderSize)
	if err != nil {
		w.problem("page %d cannot be read: %v", id, err)
		return nil
	}
	if got := ne.Uint64(head); got != id {
		w.problem("page %d (%s) says it is page %d", id, from, got)
		return nil
	}
	overflow := uint64(ne.Uint32(head[12:]))
	if overflow >= w.hwm-id {
		w.problem("page %d runs %d pages past the end of the data", id, overflow+1-(w.hwm-id))
		return nil
	}
	for i := id; i <= id+overflow; i++ {
		if w.reached.has(i) {
			w.problem("page %d is reached twice (again from %s)", i, from)
			return nil
		}
	}
	for i := id; i <= id+overflow; i++ {
		w.reached.set(i)
	}
	p, err := w.read(off, int(overflow+1)*w.psize)
	if err != nil {
		w.problem("page %d cannot be read: %v", id, err)
		return nil
	}
	return p
}

// tree checks the B+tree rooted at page id.
func (w *walker) tree(id uint64, depth, nesting int) {
	from := "a bucket"
	if depth > 0 {
		from = "a branch page"
	}
	if depth > maxTreeDepth {
		w.problem("page %d: a tree deeper than %d levels", id, maxTreeDepth)
		return
	}
	p := w.page(id, from)
	if p == nil {
		return
	}
	w.node(id, p, depth, nesting)
}

// node checks one branch or leaf page (p holds its header), descending
// into its children and sub-buckets.
func (w *walker) node(id uint64, p []byte, depth, nesting int) {
	flags, count := ne.Uint16(p[8:]), int(ne.Uint16(p[10:]))
	if flags != flagBranch && flags != flagLeaf {
		w.problem("page %d has type %#x where a branch or leaf page belongs", id, flags)
		return
	}
	if pageHeaderSize+count*elementSize > len(p) {
		w.problem("page %d lists %d elements, more than it can hold", id, count)
		return
	}
	if flags == flagBranch && count == 0 {
		w.problem("branch page %d is empty", id)
		return
	}
	var prev []byte
	for i := 0; i < count; i++ {
		e := pageHeaderSize + i*elementSize
		var pos, ksize, vsize uint64
		if flags == flagBranch {
			pos, ksize = uint64(ne.Uint32(p[e:])), uint64(ne.Uint32(p[e+4:]))
		} else {
			pos, ksize, vsize = uint64(ne.Uint32(p[e+4:])), uint64(ne.Uint32(p[e+8:])), uint64(ne.Uint32(p[e+12:]))
		}
		start := uint64(e) + pos
		if ksize == 0 || start+ksize+vsize > uint64(len(p)) {
			w.problem("page %d: element %d lies outside the page or has no key", id, i)
			return
		}
		key := p[start : start+ksize]
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			w.problem("page %d: keys out of order at element %d", id, i)
			return
		}
		prev = key
		if flags == flagBranch {
			w.tree(ne.Uint64(p[e+8:]), depth+1, nesting)
			continue
		}
		if ne.Uint32(p[e:])&leafIsBucket == 0 {
			continue
		}
		value := p[start+ksize : start+ksize+vsize]
		if len(value) < bucketHeader {
			w.problem("page %d: bucket %q has a short header", id, key)
			continue
		}
		if nesting >= maxBucketDepth {
			w.problem("page %d: buckets nested deeper than %d", id, maxBucketDepth)
			continue
		}
		if root := ne.Uint64(value); root != 0 {
			w.tree(root, 0, nesting+1)
			continue
		}
		// An inline bucket: a leaf page inside the value.
		inline := value[bucketHeader:]
		if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != flagLeaf {
			w.problem("page %d: inline bucket %q is not a leaf page", id, key)
			continue
		}
		w.node(id, inline, depth+1, nesting+1)
	}
}

// freelist checks the freelist page and that no page it lists is in use.
func (w *walker) freelist(id uint64) {
	p := w.page(id, "the meta page's freelist")
	if p == nil {
		return
	}
	if flags := ne.Uint16(p[8:]); flags != flagFreelist {
		w.problem("freelist page %d has type %#x", id, flags)
		return
	}
	start, count := pageHeaderSize, uint64(ne.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			w.problem("freelist page %d is short", id)
			return
		}
		count, start = ne.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > uint64(len(p)-start)/8 {
		w.problem("freelist page %d lists %d pages, more than it holds", id, count)
		return
	}
	for i := uint64(0); i < count; i++ {
		free := ne.Uint64(p[start+int(i)*8:])
		switch {
		case free < 2 || free >= w.hwm:
			w.problem("freelist page %d lists page %d, outside pages 2..%d", id, free, w.hwm-1)
			return
		case w.reached.has(free):
			w.problem("page %d is in use and also listed as free", free)
			return
		}
	}
}

type bitset []uint64

func newBitset(n uint64) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
