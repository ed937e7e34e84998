package store

// NewFolderFsyncEach returns a folder store whose WriteAll fsyncs every
// file and directory, as it does where syncfs(2) is not to be had.
func NewFolderFsyncEach(dir string) *Folder { return &Folder{dir: dir, fsyncEach: true} }

// OnSync makes f's WriteAll tell fn of every sync call it makes: "syncfs"
// or "fsync", and the file or directory.
func OnSync(f *Folder, fn func(call, name string)) { f.onSync = fn }
