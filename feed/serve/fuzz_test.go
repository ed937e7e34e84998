package serve_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/serve"
)

// FuzzRequestHeaders: whatever Accept-Encoding, If-None-Match,
// If-Modified-Since, If-Match and A-IM a reader sends, the handler answers
// without a panic or a 5xx; a 200 carries exactly the published bytes of
// the feed (in the coding it names), a 304 no body, a 226 a delta that is
// a valid feed; every one of them an ETag.
func FuzzRequestHeaders(f *testing.F) {
	s := newSite(f)
	paths := []string{"/feeds/index.rss", "/feeds/index.atom", "/feeds/index.json", "/feeds.opml", "/"}
	tags := func(h http.Handler) (etags []string) {
		for _, p := range paths {
			for _, ae := range []string{"", "gzip", "br"} {
				req := httptest.NewRequest(http.MethodGet, p, nil)
				req.Header.Set("Accept-Encoding", ae)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				etags = append(etags, rec.Header().Get("ETag"))
			}
		}
		return etags
	}
	old := tags(serve.New(store.NewFolder(s.out))) // the version before: deltas from it
	s.retitle("ai-in-agriculture-drones.json", "新标题 ]]> & <b>")
	s.build(buildTime.Add(time.Hour))
	h := serve.New(store.NewFolder(s.out))
	etags := tags(h)
	f.Add(uint8(0), "", old[0], "", "", "feed")
	f.Add(uint8(1), "gzip", old[4], "", "", "feed")
	f.Add(uint8(2), "br", old[8]+", "+old[6], "", "", "feed;q=1, vcdiff")
	f.Add(uint8(0), "gzip, br;q=0.5", etags[0], "", "", "feed")
	f.Add(uint8(1), "br;q=0, *;q=0.1", etags[4]+", W/"+etags[3], "Mon, 01 Jul 2024 12:00:00 GMT", "", "feed, gzip")
	f.Add(uint8(2), "identity;q=0", "*", "", "*", "")
	f.Add(uint8(0), "*;q=0", `"x", "y"`, "garbage", `"nope"`, "vcdiff, feed;q=0.5")
	f.Add(uint8(3), "GZIP;Q=1.0", "", "Tue, 01 Jul 2099 00:00:00 GMT", "", "feed")
	var deltas atomic.Int64
	f.Cleanup(func() {
		// Checked on the seeds (go test): under -fuzz the inputs run in
		// worker processes, which count for themselves.
		if fl := flag.Lookup("test.fuzz"); (fl == nil || fl.Value.String() == "") && deltas.Load() == 0 {
			f.Error("no request got a delta: the seeds should give some")
		}
	})
	f.Fuzz(func(t *testing.T, which uint8, acceptEncoding, ifNoneMatch, ifModifiedSince, ifMatch, aim string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for k, v := range map[string]string{"Accept-Encoding": acceptEncoding, "If-None-Match": ifNoneMatch,
			"If-Modified-Since": ifModifiedSince, "If-Match": ifMatch, "A-IM": aim} {
			if v != "" {
				req.Header[http.CanonicalHeaderKey(k)] = []string{v}
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		got := rec.Body.Bytes()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, got)
		}
		etag := resp.Header.Get("ETag")
		switch resp.StatusCode {
		case http.StatusOK:
			want, err := os.ReadFile(filepath.Join(s.out, keyOf(path)))
			if err != nil {
				t.Fatal(err)
			}
			if doc := decodeBody(t, resp.Header.Get("Content-Encoding"), got); !bytes.Equal(doc, want) {
				t.Fatalf("%s (Accept-Encoding %q): a 200 of %d bytes that are not the published %d", path, acceptEncoding, len(doc), len(want))
			}
		case http.StatusNotModified:
			if len(got) != 0 {
				t.Fatalf("%s: a 304 with a body", path)
			}
		case http.StatusIMUsed:
			deltas.Add(1)
			if resp.Header.Get("IM") != "feed" {
				t.Fatalf("%s: a 226 without IM: feed", path)
			}
			doc := decodeBody(t, resp.Header.Get("Content-Encoding"), got)
			if strings.HasSuffix(path, ".json") {
				if !json.Valid(doc) {
					t.Fatalf("%s: a 226 that is not JSON", path)
				}
			} else if err := feedcheck.WellFormed(doc); err != nil {
				t.Fatalf("%s: a 226 that is not XML: %v", path, err)
			}
		case http.StatusPreconditionFailed, http.StatusNotAcceptable:
			return
		default:
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		if etag == "" {
			t.Fatalf("%s: a %d without an ETag", path, resp.StatusCode)
		}
	})
}

func keyOf(path string) string {
	if path == "/" {
		return "index.html"
	}
	return strings.TrimPrefix(path, "/")
}

func decodeBody(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	if coding == "" {
		return b
	}
	return decode(t, coding, b)
}

// FuzzRebuildSignature: a rebuild starts only for a request signed with
// the secret over its own timestamp and body, within the window, once;
// everything else gets a bare 401 and starts nothing.
func FuzzRebuildSignature(f *testing.F) {
	f.Add(int64(0), true, "", []byte(`{}`))
	f.Add(int64(301), true, "", []byte(`{}`))
	f.Add(int64(-299), true, "", []byte(`{"full":true}`))
	f.Add(int64(0), false, "sha256=00", []byte(`{}`))
	f.Add(int64(0), false, "sha256=", []byte(``))
	f.Add(int64(0), false, "SHA256=abc", []byte("x"))
	secret := []byte("fuzz-secret-of-thirty-two-bytes-or-more")
	f.Fuzz(func(t *testing.T, offset int64, signed bool, sig string, body []byte) {
		offset %= 1000 // seconds around now
		started := 0
		rb := serve.NewRebuild(secret, func(context.Context) error { started++; return nil }, nil)
		ts := strconv.FormatInt(time.Now().Unix()+offset, 10)
		if signed {
			sig = "sha256=" + hex.EncodeToString(serve.Sign(secret, ts, body))
		}
		req := httptest.NewRequest(http.MethodPost, "/rebuild", bytes.NewReader(body))
		req.Header.Set(serve.TimestampHeader, ts)
		req.Header.Set(serve.SignatureHeader, sig)
		rec := httptest.NewRecorder()
		rb.ServeHTTP(rec, req)
		// Within the window, whole seconds from its edges: the test's clock
		// and the handler's read a moment apart, and the timestamp has no
		// fraction, so a request a second from an edge may fall either side.
		w := int64(serve.Window / time.Second)
		valid := signed && -w+1 <= offset && offset <= w-1
		edge := signed && (offset >= w-1 && offset <= w+1 || offset >= -w-1 && offset <= -w+1)
		switch {
		case valid && (rec.Code != http.StatusAccepted || started != 1):
			t.Fatalf("a good signature (offset %d s): %d, %d builds", offset, rec.Code, started)
		case !signed && (rec.Code != http.StatusUnauthorized || started != 0):
			t.Fatalf("signature %q: %d, %d builds", sig, rec.Code, started)
		case !valid && !edge && started != 0:
			t.Fatalf("offset %d s: a build started", offset)
		}
		if rec.Code == http.StatusUnauthorized && strings.TrimSpace(rec.Body.String()) != "unauthorized" {
			t.Fatalf("a 401 that says %q", rec.Body.String())
		}
	})
}
