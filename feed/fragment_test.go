package feed_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/feedpub/feedpub/feed"
)

// A feed assembled from items rendered once per article is the feed its
// format renders, byte for byte, and Split gives those items back.
func TestAssembleEqualsRender(t *testing.T) {
	for _, fullText := range []bool{false, true} {
		s, articles := fixture(t)
		s.FullText = fullText
		feeds := planAt(s, articles, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		items := map[string]feed.Items{}
		for _, f := range feeds {
			for _, a := range f.Items {
				if _, ok := items[a.ID]; !ok {
					items[a.ID] = feed.RenderItems(s, a)
				}
			}
		}
		for _, f := range feeds {
			for i, format := range feed.Formats {
				var want, got bytes.Buffer
				if err := format.Render(&want, f); err != nil {
					t.Fatal(err)
				}
				var frags [][]byte
				for _, a := range f.Items {
					frags = append(frags, items[a.ID][i])
				}
				if err := feed.Assemble(&got, i, f, frags); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("%s.%s (full text %v): assembled differs from rendered:\ngot  %s\nwant %s", f.Name, format.Ext, fullText, got.Bytes(), want.Bytes())
				}
				if n := feed.Size(i, f, frags); n != want.Len() {
					t.Errorf("%s.%s: Size = %d, want %d", f.Name, format.Ext, n, want.Len())
				}
				split, err := feed.Split(i, got.Bytes())
				if err != nil {
					t.Fatalf("%s.%s: Split: %v", f.Name, format.Ext, err)
				}
				if len(split) != len(f.Items) {
					t.Fatalf("%s.%s: Split found %d items, want %d", f.Name, format.Ext, len(split), len(f.Items))
				}
				for j, it := range split {
					a := f.Items[j]
					if it.ID != feed.ItemID(s, a) || !bytes.Equal(it.Body, frags[j]) {
						t.Errorf("%s.%s item %d: Split gave %s %q, want %s %q", f.Name, format.Ext, j, it.ID, it.Body, feed.ItemID(s, a), frags[j])
					}
				}
			}
		}
	}
}

func TestSplitEmptyAndForeign(t *testing.T) {
	s, _ := fixture(t)
	empty := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: s.Title, Site: s, Updated: time.Unix(0, 0).UTC()}
	for i, format := range feed.Formats {
		var buf bytes.Buffer
		if err := feed.Assemble(&buf, i, empty, nil); err != nil {
			t.Fatal(err)
		}
		items, err := feed.Split(i, buf.Bytes())
		if err != nil || len(items) != 0 {
			t.Errorf("%s: Split(empty feed) = %d items, %v", format.Ext, len(items), err)
		}
		for _, foreign := range []string{"", "<rss/>", `{"items":[}`, buf.String()[:buf.Len()/2]} {
			if _, err := feed.Split(i, []byte(foreign)); !errors.Is(err, feed.ErrNotOurs) {
				t.Errorf("%s: Split(%q) = %v, want ErrNotOurs", format.Ext, foreign, err)
			}
		}
	}
}

// Items rendered into one buffer, reused from one article to the next,
// are the items each article renders alone, and each is capped at its
// end: appending to one never writes over the next.
func TestRenderItemsIntoReusesItsBuffer(t *testing.T) {
	s, articles := fixture(t)
	s.FullText = true
	var buf []byte
	for _, a := range articles {
		var it feed.Items
		it, buf = feed.RenderItemsInto(buf, s, a)
		want := feed.RenderItems(s, a)
		for i := range it {
			if !bytes.Equal(it[i], want[i]) {
				t.Fatalf("%s, format %d: got %q, want %q", a.ID, i, it[i], want[i])
			}
		}
		for i := range it {
			if cap(it[i]) != len(it[i]) {
				t.Fatalf("%s, format %d: room for %d bytes past the item: an append would write over the next", a.ID, i, cap(it[i])-len(it[i]))
			}
		}
	}
	if len(articles) < 2 || cap(buf) == 0 {
		t.Fatalf("the fixture has %d articles and the buffer room for %d bytes: nothing reused", len(articles), cap(buf))
	}
}
