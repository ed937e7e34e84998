//go:build linux

package store

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncfsCommits are the filesystems whose syncfs(2) writes back and
// commits everything on them, data and metadata, as an fsync(2) of every
// file and directory would: local ones. Network and FUSE filesystems may
// not pass a syncfs on to where the bytes live; their files are synced
// one by one.
var syncfsCommits = map[uint32]bool{
	unix.EXT4_SUPER_MAGIC:      true, // ext2, ext3, ext4
	unix.XFS_SUPER_MAGIC:       true,
	unix.BTRFS_SUPER_MAGIC:     true,
	unix.F2FS_SUPER_MAGIC:      true,
	unix.BCACHEFS_SUPER_MAGIC:  true,
	unix.TMPFS_MAGIC:           true, // nothing to commit
	unix.OVERLAYFS_SUPER_MAGIC: true, // syncs its upper filesystem
}

// planSync decides, for the directories a WriteAll writes to, which
// filesystems it syncs whole: each one syncfs commits, found by device,
// unless fsyncEach is set. A directory that cannot be told about gets
// fsync, which is always right.
func planSync(r *os.Root, dirs []string, fsyncEach bool, onSync func(call, name string)) *batchSync {
	b := &batchSync{r: r, fsync: make(map[string]bool), onSync: onSync}
	whole := make(map[uint64]bool) // device: synced whole
	for _, dir := range dirs {
		if fsyncEach {
			b.fsync[dir] = true
			continue
		}
		info, err := r.Stat(dir)
		if err != nil {
			b.fsync[dir] = true
			continue
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			b.fsync[dir] = true
			continue
		}
		dev := uint64(st.Dev)
		yes, seen := whole[dev]
		if !seen {
			yes = syncfsServes(r, dir)
			whole[dev] = yes
			if yes {
				b.syncfs = append(b.syncfs, dir)
			}
		}
		if !yes {
			b.fsync[dir] = true
		}
	}
	return b
}

// syncfsServes reports whether dir is on a filesystem syncfs commits.
func syncfsServes(r *os.Root, dir string) bool {
	d, err := r.Open(dir)
	if err != nil {
		return false
	}
	defer d.Close()
	var st unix.Statfs_t
	if err := control(d, func(fd int) error { return unix.Fstatfs(fd, &st) }); err != nil {
		return false
	}
	return syncfsCommits[uint32(st.Type)]
}

// syncfs commits the whole filesystem dir is on: syncfs(2).
func syncfs(r *os.Root, dir string) error {
	d, err := r.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := control(d, unix.Syncfs); err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}

// control calls fn with f's descriptor, again if interrupted.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if ferr = fn(int(fd)); !errors.Is(ferr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}
