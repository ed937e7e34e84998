package publish

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/andybalholm/brotli"
)

// A body is brotli-coded with the smallest window that holds it, and
// decodes to itself, at the edges of each window too.
func TestBrotliWindowHoldsTheBody(t *testing.T) {
	for _, n := range []int{0, 1, 1008, 1009, 4080, 4081, 1<<20 - 16, 1<<20 - 15, 5 << 20} {
		w := brotliWindow(n)
		if w < minBrotliWindow || w > maxBrotliWindow {
			t.Fatalf("window of %d bytes: %d, outside [%d, %d]", n, w, minBrotliWindow, maxBrotliWindow)
		}
		if w < maxBrotliWindow && 1<<w-16 < n {
			t.Errorf("window of %d bytes: 2^%d-16 does not hold it", n, w)
		}
		if w > minBrotliWindow && 1<<(w-1)-16 >= n {
			t.Errorf("window of %d bytes: 2^%d, where 2^%d holds it", n, w, w-1)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1008, 1009, 70000, 300000} {
		body := make([]byte, n)
		words := []string{"<item>", "</item>", "新闻", "feed ", "title", "\n"}
		for i := 0; i < n; {
			i += copy(body[i:], words[rng.IntN(len(words))])
		}
		// twice: the second from a pooled writer
		for range 2 {
			coded := encode("br", body)
			if coded == nil {
				t.Fatalf("%d bytes: brotli saved nothing", n)
			}
			got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(coded)))
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("%d bytes: decoded %d bytes, err %v", n, len(got), err)
			}
		}
	}
}
