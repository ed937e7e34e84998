package store

import (
	"fmt"
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
}

type opKind int

const (
	opList opKind = iota
	opGet
	opHead
	opPut
	opDelete
	opNotModified
	numOps
)

// OpCounts is what an Ops has counted, at one moment.
type OpCounts struct {
	List, Get, Head, Put, Delete int64
	// NotModified counts the Gets (already in Get) answered "not
	// modified": GetIfChanged calls that moved no body.
	NotModified int64
}

// add counts one operation; a nil Ops counts nothing.
func (o *Ops) add(k opKind) {
	if o != nil {
		o.n[k].Add(1)
	}
}

// Snapshot returns the counts so far; a nil Ops has counted nothing.
func (o *Ops) Snapshot() OpCounts {
	if o == nil {
		return OpCounts{}
	}
	return OpCounts{
		List:        o.n[opList].Load(),
		Get:         o.n[opGet].Load(),
		Head:        o.n[opHead].Load(),
		Put:         o.n[opPut].Load(),
		Delete:      o.n[opDelete].Load(),
		NotModified: o.n[opNotModified].Load(),
	}
}

// String formats the counts so far, as OpCounts.String does.
func (o *Ops) String() string { return o.Snapshot().String() }

// Sub returns the operations counted since an earlier snapshot: c - before.
func (c OpCounts) Sub(before OpCounts) OpCounts {
	return OpCounts{
		List:        c.List - before.List,
		Get:         c.Get - before.Get,
		Head:        c.Head - before.Head,
		Put:         c.Put - before.Put,
		Delete:      c.Delete - before.Delete,
		NotModified: c.NotModified - before.NotModified,
	}
}

// String formats the counts for benchmark reports:
// "list=1 get=12 head=0 put=5 delete=0 notmodified=3".
func (c OpCounts) String() string {
	return fmt.Sprintf("list=%d get=%d head=%d put=%d delete=%d notmodified=%d",
		c.List, c.Get, c.Head, c.Put, c.Delete, c.NotModified)
}
