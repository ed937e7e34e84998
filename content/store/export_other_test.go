//go:build !linux

package store

// SyncfsServes: WriteAll syncs no filesystem whole but on Linux.
func SyncfsServes(dir string) bool { return false }
