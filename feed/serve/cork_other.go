//go:build !linux

package serve

import "syscall"

// cork does nothing where TCP_CORK is not known: answers are written as
// they are.
func cork(syscall.RawConn, bool) bool { return false }
