package store

import "os"

// SyncfsServes reports whether WriteAll syncs dir's filesystem whole.
func SyncfsServes(dir string) bool {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer r.Close()
	return syncfsServes(r, ".")
}
