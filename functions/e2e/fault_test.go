package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

// faultSite has every kind of output: feeds of every set, archive pages,
// preview pages, delta packs and precompressed variants (the defaults).
const faultSite = `title: 故障 Test
url: https://news.example.cn/
base_url: https://feeds.example.cn
language: zh-CN
time_zone: Asia/Shanghai
limit: 3
full_text: true
feeds: {site: true, categories: true, tags: false, authors: false}
`

// faultNow is the clock of every build of the fault and crash tests.
var faultNow = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// articles is a corpus of article documents changed at random, step by
// step, written through put (to S3 or a folder).
type articles struct {
	rng   *rand.Rand
	put   func(key string, body []byte)
	del   func(key string)
	names map[string]bool
}

func newArticles(seed uint64, put func(string, []byte), del func(string)) *articles {
	return &articles{rng: rand.New(rand.NewPCG(seed, 7)), put: put, del: del, names: map[string]bool{}}
}

func (a *articles) document(id string, published time.Time) []byte {
	cats := []string{"热点", "Sport", "经济"}
	tags := []string{"go", "探月", "AI", "climate"}
	authors := []string{"王立新", "Ann", "Zoë"}
	d := map[string]any{
		"id": id, "url": "https://news.example.cn/" + id + ".html",
		"title":        fmt.Sprintf("标题 %d %s", a.rng.IntN(1000), id),
		"content_html": fmt.Sprintf("<p>正文 %d &amp; <b>more</b></p>%s", a.rng.IntN(1000), strings.Repeat("<p>段落。</p>", a.rng.IntN(40))),
		"categories":   []string{cats[a.rng.IntN(len(cats))]},
		"tags":         []string{tags[a.rng.IntN(len(tags))], tags[a.rng.IntN(len(tags))]},
		"authors":      []map[string]string{{"name": authors[a.rng.IntN(len(authors))]}},
		"published":    published.Format(time.RFC3339),
	}
	b, _ := json.Marshal(d)
	return b
}

// fill writes n new documents.
func (a *articles) fill(n int) {
	for range n {
		a.create()
	}
}

func (a *articles) create() {
	a.createAt(faultNow.Add(-time.Duration(1+a.rng.IntN(50*24)) * time.Hour))
}

// createAt writes a new document published at published.
func (a *articles) createAt(published time.Time) {
	for {
		id := fmt.Sprintf("d%03d", a.rng.IntN(1000))
		key := "articles/" + id + ".json"
		if !a.names[key] {
			a.names[key] = true
			a.put(key, a.document(id, published))
			return
		}
	}
}

// step makes 1 to 3 changes: creates, edits, deletes.
func (a *articles) step() {
	for range 1 + a.rng.IntN(3) {
		list := make([]string, 0, len(a.names))
		for k := range a.names {
			list = append(list, k)
		}
		sort.Strings(list)
		switch op := a.rng.IntN(10); {
		case op < 4 || len(list) < 5:
			a.create()
		case op < 6:
			k := list[a.rng.IntN(len(list))]
			a.del(k)
			delete(a.names, k)
		default:
			k := list[a.rng.IntN(len(list))]
			a.put(k, a.document(strings.TrimSuffix(strings.TrimPrefix(k, "articles/"), ".json"), faultNow.Add(-time.Duration(1+a.rng.IntN(50*24))*time.Hour)))
		}
	}
}

// countingRetryer counts the retries the SDK makes.
type countingRetryer struct {
	aws.RetryerV2
	n *atomic.Int64
}

func (r countingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	r.n.Add(1)
	return r.RetryerV2.RetryDelay(attempt, err)
}

// faultClient is an SDK client at endpoint (a proxy in front of srv) for
// builds under faults: ten attempts a request with backoff up to half a
// 200 ms and no retry quota (the default quota gives up on a build's
// requests after some hundred retries), and a 3 s limit on each attempt,
// so that a connection that hangs is given up and tried again.
func faultClient(srv *s3test.Server, endpoint string, retries *atomic.Int64) *s3.Client {
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.MaxBackoff = 200 * time.Millisecond
		o.RateLimiter = ratelimit.None
	})
	return s3.New(s3.Options{
		Region:       srv.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		Retryer:      countingRetryer{RetryerV2: std, n: retries},
		HTTPClient:   awshttp.NewBuildableClient().WithTimeout(3 * time.Second),
	})
}

// siteHash is the hash the build names its site definition by in the
// catalog (publish's siteHash): with another, catalog.Open finds no
// catalog of this site.
func siteHash(s *feed.Site) string {
	data, _ := json.Marshal(s)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// siteStats is what checkSite found.
type siteStats struct {
	objects int // in the store, internal state included
	ahead   int // published objects whose bytes are newer than the manifest's (a build that failed wrote them)
	claimed bool
}

// checkSite checks every object of a store as a build left it: each
// complete and valid for its kind (feeds parsed by encoding/xml in strict
// mode or encoding/json, variants decoded and parsed, the manifest and
// the catalog's head decoded, delta packs and everything the manifest
// names against its hash and size), every object the manifest names
// present, and the catalog loading whole. committed says the last build
// succeeded: then every published object is exactly what the manifest
// says.
func checkSite(t *testing.T, objs map[string][]byte, cat catalog.Store, site *feed.Site, committed bool) siteStats {
	t.Helper()
	st := siteStats{objects: len(objs)}
	for key, body := range objs {
		if err := checkOnce(key, body); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	if _, ok := objs[layout.Manifest]; !ok {
		t.Fatalf("no manifest among %d objects", len(objs))
	}
	m, err := feedcheck.ReadManifest(objs) // every shard its root names, whole
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	matches := func(key, hash string, size int) {
		body, ok := objs[key]
		switch {
		case !ok: // a build deletes objects only once the manifest stops naming them
			t.Errorf("%s: named by the manifest, missing from the store", key)
		case store.Hash(body) == hash && len(body) == size:
		case committed:
			t.Errorf("%s: %d bytes (sha256 %s), the manifest says %d (%s) after a build that succeeded", key, len(body), store.Hash(body)[:12], size, hash[:12])
		default:
			st.ahead++
		}
	}
	for key, o := range m.Objects {
		matches(key, o.Hash, o.Size)
		for _, v := range o.Variants {
			matches(v.Key, v.Hash, v.Size)
		}
		if d := o.Deltas; d != nil {
			matches(d.Key, d.Hash, d.Size)
			if body := objs[d.Key]; store.Hash(body) == d.Hash {
				for _, f := range d.From {
					if err := checkObject(key, body[f.Offset:f.Offset+f.Size]); err != nil {
						t.Errorf("%s: delta at %d: %v", d.Key, f.Offset, err)
					}
				}
			}
		}
	}
	if committed {
		for key := range objs {
			if served(key) && m.Objects[strings.TrimSuffix(strings.TrimSuffix(key, ".gz"), ".br")] == nil {
				t.Errorf("%s: published but not in the manifest after a build that succeeded", key)
			}
		}
	}
	ctx := context.Background()
	cs, err := catalog.Open(ctx, cat, layout.StateDir, siteHash(site), feed.RendererVersion)
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	if cs.Fresh() {
		t.Fatalf("catalog: not this site's (or not there): the check would prove nothing")
	}
	if err := cs.LoadAll(ctx); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	c := cs.Head.Claim
	st.claimed = c != nil && time.Now().Before(c.Expires)
	if committed && st.claimed {
		t.Errorf("catalog: still claimed (by %s) after a build that succeeded", c.Build)
	}
	return st
}

// served reports whether key is published for readers, or a variant of
// such an object.
func served(key string) bool {
	if c := store.EncodingByKey(key); c != "" {
		key = strings.TrimSuffix(key, layout.Codings[c])
	}
	return layout.Served(key)
}

// checked holds the objects checkObject found valid, by key and hash:
// most objects of a site are the same from one check to the next.
var checked sync.Map

// checkOnce is checkObject, once for each key and bytes.
func checkOnce(key string, body []byte) error {
	id := key + "\x00" + store.Hash(body)
	if _, ok := checked.Load(id); ok {
		return nil
	}
	err := checkObject(key, body)
	if err == nil {
		checked.Store(id, true)
	}
	return err
}

// checkObject checks one object's bytes for its kind.
func checkObject(key string, body []byte) error {
	switch {
	case strings.HasPrefix(key, layout.ManifestDir):
		// Shards are written whole under a name made from their bytes.
		name, _ := strings.CutSuffix(strings.TrimPrefix(key, layout.ManifestDir), ".json.gz")
		_, err := manifest.DecodeShard(name, body)
		return err
	case strings.HasSuffix(key, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		inner, err := io.ReadAll(zr)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		return checkObject(strings.TrimSuffix(key, ".gz"), inner)
	case strings.HasSuffix(key, ".br"):
		inner, err := io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
		if err != nil {
			return fmt.Errorf("brotli: %w", err)
		}
		return checkObject(strings.TrimSuffix(key, ".br"), inner)
	case strings.HasPrefix(key, layout.DeltasDir), strings.HasPrefix(key, layout.FanOutDir), strings.HasPrefix(key, layout.ClaimsDir):
		return nil // delta packs: against the manifest; the rest is not the build's here
	case strings.HasPrefix(key, layout.CatalogDir):
		if key == layout.CatalogHead && !json.Valid(body) {
			return errors.New("the catalog's head is not JSON")
		}
		return nil // shards: catalog.LoadAll decodes them
	case key == layout.Manifest:
		_, err := manifest.DecodeRoot(body)
		return err
	case strings.HasSuffix(key, ".rss"), strings.HasSuffix(key, ".atom"), strings.HasSuffix(key, ".opml"):
		return feedcheck.WellFormed(body)
	case strings.HasSuffix(key, ".json"):
		if key == layout.Report {
			var rep publish.Report
			return json.Unmarshal(body, &rep)
		}
		var doc struct {
			Version string            `json:"version"`
			Items   []json.RawMessage `json:"items"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&doc); err != nil {
			return fmt.Errorf("encoding/json: %w", err)
		}
		if dec.More() || doc.Version != "https://jsonfeed.org/version/1.1" || doc.Items == nil {
			return fmt.Errorf("not one JSON Feed 1.1 document: %.120s", body)
		}
		return nil
	case strings.HasSuffix(key, ".html"):
		if !bytes.HasPrefix(bytes.ToLower(body[:min(len(body), 15)]), []byte("<!doctype html>")) || !bytes.HasSuffix(bytes.TrimSpace(body), []byte("</html>")) {
			return fmt.Errorf("not a whole page: %d bytes", len(body))
		}
		return nil
	case len(body) == 0:
		return errors.New("empty")
	}
	return nil
}

// checkServes serves the store's site as the serve function does and
// asks for every object its manifest names: each answers 200 with a
// valid body.
func checkServes(t *testing.T, src serve.Source, objs map[string][]byte) int {
	t.Helper()
	m, err := feedcheck.ReadManifest(objs)
	if err != nil {
		t.Fatal(err)
	}
	h := serve.New(src)
	n := 0
	for key := range m.Objects {
		segs := strings.Split(key, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+strings.Join(segs, "/"), nil))
		if rec.Code != http.StatusOK {
			t.Errorf("serve %s: %d %s", key, rec.Code, rec.Body.Bytes())
			continue
		}
		if err := checkOnce(key, rec.Body.Bytes()); err != nil {
			t.Errorf("serve %s: %v", key, err)
		}
		n++
	}
	return n
}

// versitygwTemp is the name versitygw's posix backend gives a PUT that
// overwrites an object for the instant between linking the new file and
// renaming it over the old one (".NAME.sgwtmp.NANOS"). Its listings show
// it; no S3 object has it. Listed right after a kill, it is the dead
// build's last PUT landing (its body had all arrived).
var versitygwTemp = regexp.MustCompile(`^\..+\.sgwtmp\.[0-9]+$`)

// s3Objects returns every object of a bucket, internal state included,
// each read whole through the store (which checks each body against the
// hash written with it).
func s3Objects(t *testing.T, client *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	st := store.NewS3(client, bucket, "")
	out := map[string][]byte{}
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); !versitygwTemp.MatchString(path.Base(k)) {
				keys = append(keys, k)
			}
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			obj, err := st.Get(ctx, k)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("get %s: %v", k, err)
				return
			}
			out[k] = obj.Body
		})
	}
	wg.Wait()
	return out
}

// publishedOf is the objects readers get, by key: the served ones and
// their variants (not the report, internal state or delta packs, whose
// bytes follow the site's history).
func publishedOf(objs map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range objs {
		if served(k) {
			out[k] = v
		}
	}
	return out
}

// sameOutput fails the test unless got and want are the same objects with
// the same bytes.
func sameOutput(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if g, w := strings.Join(keysOf(got), " "), strings.Join(keysOf(want), " "); g != w {
		t.Fatalf("%s: objects differ from a from-scratch build's:\n got  %s\n want %s", what, g, w)
	}
	for k, body := range want {
		if !bytes.Equal(got[k], body) {
			t.Fatalf("%s: %s differs from a from-scratch build's:\n got  %.300s\n want %.300s", what, k, got[k], body)
		}
	}
}

// faultCase is one fault a build runs under.
type faultCase struct {
	name   string
	toxics []s3test.Toxic                          // on the toxiproxy in front of versitygw
	rule   func() func(*http.Request) s3test.Fault // a new rule for the fault proxy
	during func(t *testing.T)                      // runs alongside the build (an outage)
	// must: "pass" (the build succeeds, retrying), "fail" (it fails,
	// loudly, with an error containing failWith) or "" (either).
	must     string
	failWith string
	// command runs the build command (the build function's binary, with
	// the SDK's standard configuration) instead of a build in the test.
	command bool
}

// firstTries is a rule that gives fault f to the first n tries of every
// distinct request that pick selects (method and path): every such
// request then has to be retried to succeed.
func firstTries(n int, f s3test.Fault, pick func(*http.Request) bool) func() func(*http.Request) s3test.Fault {
	return func() func(*http.Request) s3test.Fault {
		seen := map[string]int{}
		return func(r *http.Request) s3test.Fault {
			if !pick(r) {
				return s3test.Pass
			}
			id := r.Method + " " + r.URL.RequestURI()
			seen[id]++
			if seen[id] <= n {
				return f
			}
			return s3test.Pass
		}
	}
}

// always gives fault f to every request pick selects.
func always(f s3test.Fault, pick func(*http.Request) bool) func() func(*http.Request) s3test.Fault {
	return func() func(*http.Request) s3test.Fault {
		return func(r *http.Request) s3test.Fault {
			if pick(r) {
				return f
			}
			return s3test.Pass
		}
	}
}

func anyRequest(*http.Request) bool { return true }

func objectGet(r *http.Request) bool {
	return r.Method == http.MethodGet && !r.URL.Query().Has("list-type")
}

func write(r *http.Request) bool { return r.Method == http.MethodPut || r.Method == http.MethodDelete }

// below picks the requests of method for objects whose key starts with
// one of prefixes, in any bucket.
func below(method string, prefixes ...string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		p, _ := url.PathUnescape(r.URL.EscapedPath())
		_, key, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if r.Method != method || r.URL.Query().Has("list-type") {
			return false
		}
		for _, prefix := range prefixes {
			if strings.HasPrefix(key, prefix) {
				return true
			}
		}
		return false
	}
}

// The build, through its S3 store, under the faults a network and an S3
// server make: through toxiproxy in front of versitygw (latency, bandwidth
// limits, connections reset and cut mid-upload and mid-download, sliced
// and stalled ones, an outage) and through an HTTP proxy (500, 503
// SlowDown, a write that succeeds but answers 500, truncated and
// corrupted bodies, and faults that do not pass). After each faulted
// build every object in the bucket is whole and valid, every object the
// manifest names is there and served, the catalog loads; then a build
// with no fault publishes exactly what a from-scratch build of the same
// articles into an empty bucket publishes.
func TestFaultsS3(t *testing.T) {
	srv := s3test.StartOwn(t)
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	tp := s3test.StartToxiproxy(t)
	px := tp.Proxy(t, "versitygw", u.Host)
	fp := s3test.StartFaultProxy(t, srv.Endpoint)
	var retries atomic.Int64
	viaToxi := faultClient(srv, px.Endpoint(), &retries)
	viaHTTP := faultClient(srv, fp.URL, &retries)
	clean := srv.Client()
	ctx := context.Background()
	content, feeds := srv.Bucket(t), srv.Bucket(t)
	site, err := feed.ParseSite([]byte(faultSite))
	if err != nil {
		t.Fatal(err)
	}
	corpus := newArticles(1, func(key string, body []byte) {
		if _, err := clean.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(content), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}, func(key string) {
		if _, err := clean.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(content), Key: aws.String(key)}); err != nil {
			t.Fatalf("delete %s: %v", key, err)
		}
	})
	corpus.fill(12)
	build := func(client *s3.Client, bucket string) (*publish.Report, error) {
		b := &publish.Build{Site: site, Articles: store.NewS3(client, content, "articles"), Out: store.NewS3(client, bucket, ""),
			Now: faultNow, MaxRetraction: -1}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		return b.Run(ctx)
	}
	out := store.NewS3(clean, feeds, "")
	if _, err := build(clean, feeds); err != nil {
		t.Fatal(err)
	}
	checkSite(t, s3Objects(t, clean, feeds), out, site, true)

	// The build command itself, with the SDK's standard configuration (3
	// attempts a request, the default retry quota), as it runs outside
	// Lambda: a failure is its exit status and the line it prints.
	siteFile := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(siteFile, []byte(faultSite), 0o644); err != nil {
		t.Fatal(err)
	}
	runCommand := func(viaProxy bool) error {
		endpoint := px.Endpoint()
		if viaProxy {
			endpoint = fp.URL
		}
		cmd := buildCommand(append(srv.Env(), "AWS_ENDPOINT_URL_S3="+endpoint), "s3://"+content+"/articles", siteFile, "s3://"+feeds+"/")
		b, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		msg := strings.TrimSpace(string(b))
		if i := strings.LastIndex(msg, "\nbuild: "); i >= 0 {
			msg = msg[i+1:]
		}
		if !strings.HasPrefix(msg, "build: ") {
			t.Errorf("the build command failed (%v) without saying why: %s", err, b)
		}
		return fmt.Errorf("%v: %s", err, msg)
	}

	cases := []faultCase{
		{name: "latency and bandwidth", must: "pass", toxics: []s3test.Toxic{
			{Type: "latency", Stream: "downstream", Attributes: map[string]int{"latency": 20, "jitter": 15}},
			{Type: "latency", Stream: "upstream", Attributes: map[string]int{"latency": 10, "jitter": 5}},
			{Type: "bandwidth", Stream: "upstream", Attributes: map[string]int{"rate": 128}},
			{Type: "bandwidth", Stream: "downstream", Attributes: map[string]int{"rate": 256}}}},
		{name: "sliced", must: "pass", toxics: []s3test.Toxic{
			{Type: "slicer", Stream: "downstream", Attributes: map[string]int{"average_size": 200, "size_variation": 150, "delay": 200}},
			{Type: "slicer", Stream: "upstream", Attributes: map[string]int{"average_size": 500, "size_variation": 400, "delay": 100}}}},
		// A third of the connections reset 50 ms after their first bytes, which
		// are dropped: requests lost on the way (upstream), answers lost
		// after the server acted (downstream: a write applied that the
		// client sees fail), and pooled connections dead when next used.
		{name: "reset_peer upstream", must: "pass", toxics: []s3test.Toxic{
			{Type: "reset_peer", Stream: "upstream", Toxicity: 0.3, Attributes: map[string]int{"timeout": 50}}}},
		{name: "reset_peer downstream", must: "pass", toxics: []s3test.Toxic{
			{Type: "reset_peer", Stream: "downstream", Toxicity: 0.3, Attributes: map[string]int{"timeout": 50}}}},
		// Connections cut after 4 KiB: uploads and downloads broken off
		// half-way (the server gets a short body, the client a short
		// answer). A third of them upstream: the SDK tries an upload ten
		// times. A tenth downstream: a body cut short is the store's to
		// fetch again, four times (a third failed a build now and then,
		// loudly: a catalog shard cut four times running).
		{name: "limit_data upstream", must: "pass", toxics: []s3test.Toxic{
			{Type: "limit_data", Stream: "upstream", Toxicity: 0.3, Attributes: map[string]int{"bytes": 4096}}}},
		{name: "limit_data downstream", must: "pass", toxics: []s3test.Toxic{
			{Type: "limit_data", Stream: "downstream", Toxicity: 0.1, Attributes: map[string]int{"bytes": 4096}}}},
		// A fifth of the connections stall for good: each attempt on one
		// times out after 3 s and is made again.
		{name: "timeout", must: "pass", toxics: []s3test.Toxic{
			{Type: "timeout", Stream: "downstream", Toxicity: 0.2, Attributes: map[string]int{"timeout": 0}}}},
		// The server unreachable for a second, from 150 ms into the build.
		{name: "outage", during: func(t *testing.T) {
			time.Sleep(150 * time.Millisecond)
			if err := px.SetEnabled(false); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Second)
			if err := px.SetEnabled(true); err != nil {
				t.Error(err)
			}
		}},
		{name: "500 on every request's first try", must: "pass", rule: firstTries(1, s3test.Error500, anyRequest)},
		{name: "503 SlowDown on every request's first try", must: "pass", rule: firstTries(1, s3test.SlowDown503, anyRequest)},
		{name: "every GET's first body truncated", must: "pass", rule: firstTries(1, s3test.Truncate, objectGet)},
		{name: "every GET's first body corrupted", must: "pass", rule: firstTries(1, s3test.Corrupt, objectGet)},
		{name: "every write's first try applied, answered 500", must: "pass", rule: firstTries(1, s3test.Error500After, write)},
		{name: "the build command, every GET's first body truncated", command: true, must: "pass", rule: firstTries(1, s3test.Truncate, objectGet)},
		{name: "the build command, a tenth of the connections reset", command: true, toxics: []s3test.Toxic{
			{Type: "reset_peer", Stream: "downstream", Toxicity: 0.1, Attributes: map[string]int{"timeout": 20}}}},
		{name: "every article's body truncated", must: "fail", failWith: "incomplete body", rule: always(s3test.Truncate, below(http.MethodGet, "articles/"))},
		{name: "the site feed's uploads refused", must: "fail", failWith: "InternalError", rule: always(s3test.Error500, below(http.MethodPut, "feeds/index."))},
	}
	var passed, failed, faults int
	start := time.Now()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			corpus.step()
			var before map[string][]byte
			if tc.must == "fail" {
				corpus.createAt(faultNow.Add(-time.Hour)) // the newest: in the feeds
				before = s3Objects(t, clean, feeds)
			}
			// What the articles give from scratch, built meanwhile.
			scratch := srv.Bucket(t)
			scratched := make(chan error, 1)
			go func() { _, err := build(clean, scratch); scratched <- err }()
			via := viaToxi
			for _, x := range tc.toxics {
				px.Add(t, x)
			}
			if tc.rule != nil {
				via = viaHTTP
				fp.SetRule(tc.rule())
			}
			var wg sync.WaitGroup
			if tc.during != nil {
				wg.Go(func() { tc.during(t) })
			}
			injected := fp.Injected()
			r0, t0 := retries.Load(), time.Now()
			var err error
			if tc.command {
				err = runCommand(via == viaHTTP)
			} else {
				_, err = build(via, feeds)
			}
			wg.Wait()
			px.Clear(t)
			fp.SetRule(nil)
			n := 0
			for f, c := range fp.Injected() {
				n += c - injected[f]
			}
			faults += n
			t.Logf("case %d %s: build %s in %s; %d SDK retries, %d faults from the HTTP proxy", i, tc.name, errOr(err), time.Since(t0).Round(time.Millisecond), retries.Load()-r0, n)
			switch {
			case err != nil && tc.must == "pass":
				t.Fatalf("the build failed where retries must carry it: %v", err)
			case err == nil && tc.must == "fail":
				t.Fatalf("the build succeeded under a fault that never passes")
			case err != nil && !strings.Contains(err.Error(), tc.failWith):
				t.Fatalf("the build failed with %q, want an error saying %q", err, tc.failWith)
			case err != nil:
				failed++
			default:
				passed++
			}
			after := s3Objects(t, clean, feeds)
			st := checkSite(t, after, out, site, err == nil)
			if st.claimed {
				t.Fatalf("a failed build left the catalog claimed: every build fails for 20 minutes")
			}
			if tc.must == "fail" && st.ahead == 0 {
				// Nothing it wrote reached the manifest or the catalog.
				for _, k := range []string{layout.Manifest, layout.CatalogHead} {
					if !bytes.Equal(before[k], after[k]) {
						t.Errorf("%s changed in a build that failed", k)
					}
				}
			}
			served := checkServes(t, out, after)
			t.Logf("after it: %d objects, %d ahead of the manifest, %d served", st.objects, st.ahead, served)

			// No fault: the next build recovers, and publishes what a
			// build of the same articles into an empty bucket does.
			t1 := time.Now()
			if _, err := build(clean, feeds); err != nil {
				t.Fatalf("the build after the fault: %v", err)
			}
			got := s3Objects(t, clean, feeds)
			checkSite(t, got, out, site, true)
			t2 := time.Now()
			if err := <-scratched; err != nil {
				t.Fatalf("the build from scratch: %v", err)
			}
			sameOutput(t, tc.name, publishedOf(got), publishedOf(s3Objects(t, clean, scratch)))
			t.Logf("checks %s, recovery %s, from scratch %s", t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
		})
		if t.Failed() {
			break
		}
	}
	t.Logf("%d fault cases (%d toxiproxy, %d HTTP proxy; %d of them the build command): %d builds passed, %d failed loudly; %d faults from the HTTP proxy, %d SDK retries in the test's builds; %s",
		len(cases), countToxic(cases), len(cases)-countToxic(cases), countCommand(cases), passed, failed, faults, retries.Load(), time.Since(start).Round(time.Millisecond))
}

func countCommand(cases []faultCase) int {
	n := 0
	for _, c := range cases {
		if c.command {
			n++
		}
	}
	return n
}

func countToxic(cases []faultCase) int {
	n := 0
	for _, c := range cases {
		if c.rule == nil {
			n++
		}
	}
	return n
}

func errOr(err error) string {
	if err == nil {
		return "succeeded"
	}
	msg := err.Error()
	if n := strings.Count(msg, "\n"); n > 0 { // one line per object that failed
		msg = fmt.Sprintf("%s (and %d more)", msg[:strings.IndexByte(msg, '\n')], n)
	}
	return "failed: " + msg
}
