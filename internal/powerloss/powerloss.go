// Package powerloss is a file system for tests of durability: it keeps its
// files in memory, remembers what each held at its last fsync, and on a
// power cut yields only that. A program that acknowledges a write before
// fsyncing it loses the write here, as it would on a machine that loses
// power, while a process crash (which keeps the page cache) loses nothing.
//
// It is mounted with FUSE (root and /dev/fuse are required) and holds one
// flat directory of regular files, which is what an SQLite database with
// its write-ahead log and shared-memory index needs. Files are served
// through the page cache, so shared writable mmap works.
package powerloss

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// page is the granularity at which written ranges are tracked until the
// next fsync.
const page = 4096

// FS is a mounted power-loss file system.
type FS struct {
	server *fuse.Server
	root   *dir
}

// Available reports why FUSE mounts cannot be made here, or nil when they
// can be tried.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("powerloss: mounting needs root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("powerloss: no FUSE device: %w", err)
	}
	return nil
}

// RequireEnv is the environment variable that, set to 1 (as in CI), makes
// a test fail rather than skip when Available reports a reason.
const RequireEnv = "OPENBOARDS_TEST_REQUIRE_FUSE"

// Skip skips t, saying why, when FUSE mounts cannot be made here; with
// RequireEnv set to 1 it fails t instead.
func Skip(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%v (%s=1 requires the power-loss file system)", err, RequireEnv)
	}
	t.Skipf("skipped: %v", err)
}

// Mount mounts an empty file system at mountpoint, an existing directory.
func Mount(mountpoint string) (*FS, error) {
	root := &dir{durable: map[string]*file{}}
	zero := time.Duration(0)
	server, err := fs.Mount(mountpoint, root, &fs.Options{
		// No caching of names or attributes in the kernel: sizes change
		// under writes from several processes.
		EntryTimeout: &zero, AttrTimeout: &zero, NegativeTimeout: &zero,
		MountOptions: fuse.MountOptions{
			FsName: "powerloss", Name: "powerloss",
			// mount(2) directly, as root, without the fusermount helper.
			DirectMount: true, DirectMountStrict: true,
			AllowOther: true,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("powerloss: mount %s: %w", mountpoint, err)
	}
	return &FS{server: server, root: root}, nil
}

// Unmount unmounts the file system. Every file on it must be closed.
func (f *FS) Unmount() error { return f.server.Unmount() }

// Cut simulates a power cut: it writes, into the existing directory dst,
// the files whose names were durable (their directory or the file itself
// fsynced since they were created), each with the contents it had at its
// last fsync. Writes that reach the file system after Cut are not part of
// the image; the caller stops the writers first.
func (f *FS) Cut(dst string) error {
	f.root.mu.Lock()
	files := make(map[string]*file, len(f.root.durable))
	for name, fl := range f.root.durable {
		files[name] = fl
	}
	f.root.mu.Unlock()
	for name, fl := range files {
		fl.mu.Lock()
		data := append([]byte(nil), fl.synced...)
		fl.mu.Unlock()
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o600); err != nil {
			return fmt.Errorf("powerloss: %w", err)
		}
	}
	return nil
}

// dir is the root directory. The kernel-facing tree of names is go-fuse's
// (children added by Create, removed by Unlink); durable is the tree as of
// the last fsync that covered each name.
type dir struct {
	fs.Inode

	mu      sync.Mutex
	durable map[string]*file
}

var (
	_ fs.NodeCreater   = (*dir)(nil)
	_ fs.NodeUnlinker  = (*dir)(nil)
	_ fs.NodeFsyncer   = (*dir)(nil)
	_ fs.NodeGetattrer = (*dir)(nil)
)

func (d *dir) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFDIR | 0o777
	out.Nlink = 2
	return 0
}

func (d *dir) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	f := &file{dir: d, name: name, mode: mode & 0o7777}
	ch := d.NewInode(ctx, f, fs.StableAttr{Mode: syscall.S_IFREG})
	f.attr(&out.Attr)
	return ch, nil, 0, 0
}

// Unlink removes the name; the removal is durable at the directory's next
// fsync.
func (d *dir) Unlink(ctx context.Context, name string) syscall.Errno {
	ch := d.GetChild(name)
	if ch == nil {
		return syscall.ENOENT
	}
	if f, ok := ch.Operations().(*file); ok {
		f.mu.Lock()
		f.unlinked = true
		f.mu.Unlock()
	}
	return 0
}

// Fsync (of the directory) makes its current names durable.
func (d *dir) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.durable = map[string]*file{}
	for name, ch := range d.Children() {
		if f, ok := ch.Operations().(*file); ok {
			d.durable[name] = f
		}
	}
	return 0
}

// file is a regular file: its current contents, what it held at its last
// fsync, and the pages written since.
type file struct {
	fs.Inode
	dir  *dir
	name string

	mu       sync.Mutex
	mode     uint32
	data     []byte
	synced   []byte
	dirty    map[int64]bool // pages of data changed since the last fsync
	unlinked bool
}

var (
	_ fs.NodeOpener    = (*file)(nil)
	_ fs.NodeReader    = (*file)(nil)
	_ fs.NodeWriter    = (*file)(nil)
	_ fs.NodeGetattrer = (*file)(nil)
	_ fs.NodeSetattrer = (*file)(nil)
	_ fs.NodeFsyncer   = (*file)(nil)
	_ fs.NodeFlusher   = (*file)(nil)
)

func (f *file) attr(out *fuse.Attr) {
	out.Mode = syscall.S_IFREG | f.mode
	out.Size = uint64(len(f.data))
	out.Blocks = (out.Size + 511) / 512
	out.Nlink = 1
	if f.unlinked {
		out.Nlink = 0
	}
}

// Open keeps the default page-cache mode (no direct I/O), which shared
// writable mmap needs.
func (f *file) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		f.mu.Lock()
		f.resize(0)
		f.mu.Unlock()
	}
	return nil, 0, 0
}

func (f *file) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attr(&out.Attr)
	return 0
}

func (f *file) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	f.mu.Lock()
	defer f.mu.Unlock()
	if size, ok := in.GetSize(); ok {
		f.resize(int64(size))
	}
	if mode, ok := in.GetMode(); ok {
		f.mode = mode & 0o7777
	}
	f.attr(&out.Attr)
	return 0
}

// markDirty records that bytes [from, to) changed.
func (f *file) markDirty(from, to int64) {
	if f.dirty == nil {
		f.dirty = map[int64]bool{}
	}
	for p := from / page; p*page < to; p++ {
		f.dirty[p] = true
	}
}

// resize sets the length, zero-filling growth; every byte between the old
// and the new end counts as changed.
func (f *file) resize(size int64) {
	old := int64(len(f.data))
	switch {
	case size < old:
		f.data = f.data[:size]
		f.markDirty(size, old)
	case size > old:
		f.data = append(f.data, make([]byte, size-old)...)
		f.markDirty(old, size)
	}
}

func (f *file) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off >= int64(len(f.data)) {
		return fuse.ReadResultData(nil), 0
	}
	n := copy(dest, f.data[off:])
	return fuse.ReadResultData(dest[:n]), 0
}

func (f *file) Write(ctx context.Context, fh fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off + int64(len(data))
	if end > int64(len(f.data)) {
		f.resize(end)
	}
	copy(f.data[off:], data)
	f.markDirty(off, end)
	return uint32(len(data)), 0
}

func (f *file) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno { return 0 }

// Fsync makes the file's contents durable, and its name, as ext4 and most
// journalling file systems do for a file fsynced after its creation.
func (f *file) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	f.mu.Lock()
	size := int64(len(f.data))
	if int64(len(f.synced)) < size {
		f.synced = append(f.synced, make([]byte, size-int64(len(f.synced)))...)
	}
	f.synced = f.synced[:size]
	for p := range f.dirty {
		from := p * page
		if from >= size {
			continue
		}
		copy(f.synced[from:min(from+page, size)], f.data[from:min(from+page, size)])
	}
	f.dirty = nil
	unlinked := f.unlinked
	f.mu.Unlock()
	if !unlinked {
		f.dir.mu.Lock()
		f.dir.durable[f.name] = f
		f.dir.mu.Unlock()
	}
	return 0
}
