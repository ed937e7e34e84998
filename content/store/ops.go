package store

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Ops counts a store's operations by kind, as the store makes them: on S3
// one per request (every ListObjectsV2 page, GetObject, HeadObject,
// PutObject, DeleteObject, whatever its answer); on a folder one per
// listing, read, write or removal (Put's read of the stored bytes to
// compare is a Get). Give one to a store with its Count method; a store
// with none counts nothing. The zero Ops is ready to use, and one Ops may
// count for several stores at once.
type Ops struct {
	n [numOps]atomic.Int64
	// State, when set, tells the keys whose bytes StateRead and
	// StateWritten count; unset, every key below a dot-folder.
	State func(key string) bool
}

type opKind int

const (
	opList opKind = iota
	opGet
	opHead
	opPut
	opDelete
	opNotModified
	// Not operations but bytes: of internal state (keys below a
	// dot-folder, which no listing shows) read and written.
	opStateRead
	opStateWritten
	opStatePut // writes of internal state, among the puts
	numOps
)

// OpCounts is what an Ops has counted, at one moment.
type OpCounts struct {
	List, Get, Head, Put, Delete int64
	// NotModified counts the Gets (already in Get) answered "not
	// modified": GetIfChanged calls that moved no body.
	NotModified int64
	// StateRead and StateWritten are the bytes of internal state (the
	// keys Ops.State tells, by default those below a dot-folder) read and
	// written: what a build keeps about the site, as it moves.
	StateRead, StateWritten int64
	// StatePut counts the puts (already in Put) of internal state: Put
	// less StatePut is the published objects written.
	StatePut int64
}

// add counts one operation; a nil Ops counts nothing.
func (o *Ops) add(k opKind) {
	if o != nil {
		o.n[k].Add(1)
	}
}

// state counts n bytes of the object under key read (or written), when
// key is internal state; a nil Ops counts nothing.
func (o *Ops) state(key string, n int, written bool) {
	if o == nil || o.State == nil && !stateKey(key) || o.State != nil && !o.State(key) {
		return
	}
	if written {
		o.n[opStateWritten].Add(int64(n))
		o.n[opStatePut].Add(1)
	} else {
		o.n[opStateRead].Add(int64(n))
	}
}

// stateKey reports whether key is below a dot-folder.
func stateKey(key string) bool {
	return strings.HasPrefix(key, ".") || strings.Contains(key, "/.")
}

// Snapshot returns the counts so far; a nil Ops has counted nothing.
func (o *Ops) Snapshot() OpCounts {
	if o == nil {
		return OpCounts{}
	}
	return OpCounts{
		List:         o.n[opList].Load(),
		Get:          o.n[opGet].Load(),
		Head:         o.n[opHead].Load(),
		Put:          o.n[opPut].Load(),
		Delete:       o.n[opDelete].Load(),
		NotModified:  o.n[opNotModified].Load(),
		StateRead:    o.n[opStateRead].Load(),
		StateWritten: o.n[opStateWritten].Load(),
		StatePut:     o.n[opStatePut].Load(),
	}
}

// String formats the counts so far, as OpCounts.String does.
func (o *Ops) String() string { return o.Snapshot().String() }

// Sub returns the operations counted since an earlier snapshot: c - before.
func (c OpCounts) Sub(before OpCounts) OpCounts {
	return OpCounts{
		List:         c.List - before.List,
		Get:          c.Get - before.Get,
		Head:         c.Head - before.Head,
		Put:          c.Put - before.Put,
		Delete:       c.Delete - before.Delete,
		NotModified:  c.NotModified - before.NotModified,
		StateRead:    c.StateRead - before.StateRead,
		StateWritten: c.StateWritten - before.StateWritten,
		StatePut:     c.StatePut - before.StatePut,
	}
}

// String formats the counts for benchmark reports:
// "list=1 get=12 head=0 put=5 delete=0 notmodified=3".
func (c OpCounts) String() string {
	s := fmt.Sprintf("list=%d get=%d head=%d put=%d delete=%d notmodified=%d",
		c.List, c.Get, c.Head, c.Put, c.Delete, c.NotModified)
	if c.StateRead > 0 || c.StateWritten > 0 {
		s += fmt.Sprintf(" state_read=%s state_written=%s state_put=%d", kib(c.StateRead), kib(c.StateWritten), c.StatePut)
	}
	return s
}

// kib formats a byte count in KiB, one decimal.
func kib(n int64) string { return fmt.Sprintf("%.1fKiB", float64(n)/1024) }
