package publish

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/feedpub/feedpub/feed"
)

// itemsOf is a made-up article's items: its body three times, escaped a
// little differently, as the three formats carry it.
func itemsOf(n int) feed.Items {
	body := strings.Repeat(fmt.Sprintf("<p>第%d段 paragraph %d &amp; more</p>", n, n), 1+n%40)
	return feed.Items{
		[]byte("<item><title>" + fmt.Sprint(n) + "</title><content:encoded><![CDATA[" + body + "]]></content:encoded></item>"),
		[]byte("<entry><content type=\"html\">" + strings.ReplaceAll(body, "<", "&lt;") + "</content></entry>"),
		[]byte(`{"id":"` + fmt.Sprint(n) + `","content_html":"` + strings.ReplaceAll(body, `"`, `\"`) + `"}`),
	}
}

// Items past the memory limit go to the file, compressed, and come back
// byte for byte, in every format at once or one at a time, whatever the
// order they were put in from many goroutines; the caller's buffers are
// not kept.
func TestItemsSpillRoundTrip(t *testing.T) {
	c := newItems(10 << 10)
	defer c.close()
	const n = 300
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < n; k += 8 {
				it := itemsOf(k)
				if err := c.put(fmt.Sprintf("k%03d", k), it); err != nil {
					t.Error(err)
					return
				}
				for _, b := range it { // the caller reuses its buffers
					for i := range b {
						b[i] = 'x'
					}
				}
			}
		}()
	}
	wg.Wait()
	var raw int64
	inMem, spilled := 0, 0
	for k := range n {
		key := fmt.Sprintf("k%03d", k)
		want := itemsOf(k)
		it, sp, inFile, ok := c.get(key)
		if !ok {
			t.Fatalf("%s: no items", key)
		}
		if got := c.size(key); got != int64(len(want[0])+len(want[1])+len(want[2])) {
			t.Errorf("%s: size %d, want %d", key, got, len(want[0])+len(want[1])+len(want[2]))
		}
		if !inFile {
			inMem++
			for i := range it {
				if !bytes.Equal(it[i], want[i]) {
					t.Errorf("%s format %d in memory: %q, want %q", key, i, it[i], want[i])
				}
			}
			continue
		}
		spilled++
		raw += int64(sp.len())
		all := make([]byte, sp.len())
		if err := c.read(all, sp); err != nil {
			t.Fatalf("%s: read: %v", key, err)
		}
		for i := range want {
			off := sp.offset(i)
			if got := all[off : off+sp.size[i]]; !bytes.Equal(got, want[i]) {
				t.Errorf("%s format %d from the file: %q, want %q", key, i, got, want[i])
			}
		}
	}
	if inMem == 0 || spilled == 0 {
		t.Fatalf("%d in memory, %d spilled: want some of each", inMem, spilled)
	}
	if c.off*3 > raw {
		t.Errorf("the file holds %d bytes of %d bytes of items: want them compressed to a third or less", c.off, raw)
	}
}

// A spill file that no longer holds what was put fails the read; it never
// yields other bytes.
func TestItemsDamagedSpill(t *testing.T) {
	c := newItems(0)
	defer c.close()
	if err := c.put("a", itemsOf(7)); err != nil {
		t.Fatal(err)
	}
	_, sp, inFile, ok := c.get("a")
	if !ok || !inFile {
		t.Fatalf("get: ok %v, spilled %v; want both", ok, inFile)
	}
	if _, err := c.file.WriteAt(bytes.Repeat([]byte{0xff}, sp.n), sp.at); err != nil {
		t.Fatal(err)
	}
	if err := c.read(make([]byte, sp.len()), sp); !errors.Is(err, errItemsDamaged) {
		t.Fatalf("read of a damaged spill: %v, want errItemsDamaged", err)
	}
}
