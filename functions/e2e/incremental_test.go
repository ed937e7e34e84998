package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/publish"
)

// webhook collects the S3 event notifications versitygw sends.
type webhook struct {
	mu      sync.Mutex
	records []json.RawMessage // one S3 event record each
	arrived chan struct{}
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		Records []json.RawMessage `json:"Records"`
	}
	if json.Unmarshal(body, &ev) == nil {
		w.mu.Lock()
		for _, rec := range ev.Records {
			if aws, ok := asAWS(rec); ok {
				w.records = append(w.records, aws)
			}
		}
		w.mu.Unlock()
		select {
		case w.arrived <- struct{}{}:
		default:
		}
	}
	rw.WriteHeader(http.StatusOK)
}

// take waits until n records about bucket have arrived and returns them,
// dropping the records of other buckets (the build's own writes).
func (w *webhook) take(t *testing.T, bucket string, n int) []json.RawMessage {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		var mine, rest []json.RawMessage
		for _, rec := range w.records {
			var r events.S3EventRecord
			if err := json.Unmarshal(rec, &r); err != nil {
				t.Fatalf("webhook: an event record aws-lambda-go cannot read: %v: %s", err, rec)
			}
			if r.S3.Bucket.Name == bucket {
				mine = append(mine, rec)
			} else {
				rest = append(rest, rec)
			}
		}
		if len(mine) >= n {
			w.records = rest
			w.mu.Unlock()
			return mine
		}
		w.mu.Unlock()
		select {
		case <-w.arrived:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("webhook: %d of %d event notifications for %s arrived", len(mine), n, bucket)
		}
	}
}

// asAWS rewrites one of versitygw's event records as S3 writes them, so
// that it reaches the function as it would on AWS: versitygw names events
// "s3:ObjectCreated:Put" where S3 says "ObjectCreated:Put", writes keys
// as they are where S3 URL-encodes them (spaces as '+'), and adds a
// glacierEventData with empty times that aws-lambda-go cannot parse.
func asAWS(rec json.RawMessage) (json.RawMessage, bool) {
	var r map[string]any
	if json.Unmarshal(rec, &r) != nil || r["eventSource"] != "aws:s3" {
		return nil, false
	}
	delete(r, "glacierEventData")
	if name, ok := r["eventName"].(string); ok {
		r["eventName"] = strings.TrimPrefix(name, "s3:")
	}
	if s3, ok := r["s3"].(map[string]any); ok {
		if obj, ok := s3["object"].(map[string]any); ok {
			if key, ok := obj["key"].(string); ok {
				obj["key"] = url.QueryEscape(key)
			}
		}
	}
	out, err := json.Marshal(r)
	return out, err == nil
}

// siteEnv is the build function's environment for a site whose articles
// and site file are in bucket content and whose feeds go to bucket feeds;
// builds may retract any share (the random tests delete freely).
func siteEnv(srv *s3test.Server, content, feeds string) []string {
	return append(srv.Env(),
		"FEEDPUB_ARTICLES=s3://"+content+"/articles",
		"FEEDPUB_SITE=s3://"+content+"/config/site.yaml",
		"FEEDPUB_OUT=s3://"+feeds+"/",
		"FEEDPUB_ALLOW_RETRACTION=1",
	)
}

const incrementalSite = `title: 增量 Test
url: https://news.example.cn/
base_url: https://feeds.example.cn
language: zh-CN
time_zone: Asia/Shanghai
limit: 3
full_text: true
feeds: {site: true, categories: true, tags: true, tag_min_articles: 2, authors: true}
`

// The build function, as a bootstrap under the emulator, driven by the S3
// event notifications versitygw really sends (direct, and wrapped in SQS
// messages, in whatever order they arrive, some twice, some lost and then
// repaired by the scheduled build), publishes after every step of random
// changes exactly what a -full build of the same history publishes.
func TestEventBuildsEqualFull(t *testing.T) {
	hook := &webhook{arrived: make(chan struct{}, 1)}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	srv := s3test.StartOwn(t, "--event-webhook-url", hs.URL)
	client := srv.Client()
	content, feeds, full := srv.Bucket(t), srv.Bucket(t), srv.Bucket(t)
	ctx := context.Background()
	put := func(bucket, key string, body []byte) {
		t.Helper()
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put(content, "config/site.yaml", []byte(incrementalSite))
	hook.take(t, content, 1)

	site, err := feed.ParseSite([]byte(incrementalSite))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	env := siteEnv(srv, content, feeds)
	var fn *function
	start := func() {
		fn = startFunction(t, bootstraps["build"], append(env, "FEEDPUB_NOW="+now.Format(time.RFC3339)))
	}
	start()
	articles := store.NewS3(client, content, "articles")
	fullOut := store.NewS3(client, full, "")

	rng := rand.New(rand.NewPCG(1, 2))
	names := map[string]bool{}
	cats := []string{"热点", "Sport", "sport", "经济"}
	tags := []string{"go", "探月", "AI", "ai", "climate"}
	authors := []string{"王立新", "Ann", "Zoë"}
	document := func() []byte {
		id := fmt.Sprintf("a%02d", rng.IntN(25))
		published := now.Add(-time.Duration(rng.IntN(20*24)) * time.Hour)
		if rng.IntN(8) == 0 {
			published = now.Add(time.Duration(1+rng.IntN(10)) * time.Hour)
		}
		d := map[string]any{
			"id": id, "url": "https://news.example.cn/" + id + ".html",
			"title":        fmt.Sprintf("标题 %d %s", rng.IntN(1000), id),
			"content_html": fmt.Sprintf("<p>正文 %d</p>", rng.IntN(1000)),
			"categories":   []string{cats[rng.IntN(len(cats))]},
			"tags":         []string{tags[rng.IntN(len(tags))], tags[rng.IntN(len(tags))]},
			"authors":      []map[string]string{{"name": authors[rng.IntN(len(authors))]}},
			"published":    published.Format(time.RFC3339),
		}
		switch rng.IntN(10) {
		case 0:
			d["status"] = "draft"
		case 1:
			d["published"] = "not a time" // rejected
		}
		b, _ := json.Marshal(d)
		return b
	}

	steps := 25
	for step := range steps {
		// Change the corpus: the notifications are what the build hears.
		changes := 1 + rng.IntN(3)
		if step == 0 {
			changes = 8
		}
		for range changes {
			var list []string
			for n := range names {
				list = append(list, n)
			}
			sort.Strings(list)
			switch op := rng.IntN(10); {
			case op < 5 || len(list) == 0:
				name := fmt.Sprintf("articles/d%03d.json", rng.IntN(40))
				put(content, name, document())
				names[name] = true
			case op < 8:
				name := list[rng.IntN(len(list))]
				if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(content), Key: aws.String(name)}); err != nil {
					t.Fatal(err)
				}
				delete(names, name)
			default:
				name := list[rng.IntN(len(list))]
				put(content, name, document())
			}
		}
		records := hook.take(t, content, changes)
		if rng.IntN(4) == 0 { // time passes: embargoes lift
			now = now.Add(time.Duration(1+rng.IntN(6)) * time.Hour)
			start()
		}
		// Notifications go missing now and then, or arrive twice: the
		// next scheduled build repairs what a lost one left stale.
		lost := step > 0 && rng.IntN(5) == 0
		if lost {
			records = records[:len(records)-1]
		}
		if rng.IntN(4) == 0 && len(records) > 0 {
			records = append(records, records[0])
		}
		var answer []byte
		if len(records) == 0 {
			answer = []byte(`{"trigger":"s3"}`) // nothing arrived
		} else if step%2 == 0 { // straight from S3
			answer = fn.invoke(t, []byte(`{"Records":[`+string(bytes.Join(toBytes(records), []byte(",")))+`]}`))
		} else { // through SQS, one message per notification, shuffled
			rng.Shuffle(len(records), func(i, j int) { records[i], records[j] = records[j], records[i] })
			var msgs []string
			for i, rec := range records {
				body, _ := json.Marshal(string(`{"Records":[` + string(rec) + `]}`))
				msgs = append(msgs, fmt.Sprintf(`{"messageId":"m%d","receiptHandle":"r","body":%s,"attributes":{},"messageAttributes":{},"md5OfBody":"","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q","awsRegion":"us-east-1"}`, i, body))
			}
			answer = fn.invoke(t, []byte(`{"Records":[`+strings.Join(msgs, ",")+`]}`))
			if resp := decode[sqsResponse](t, answer); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("step %d: sqs failures %+v\n%s", step, resp, fn.logs())
			}
		}
		if bytes.Contains(answer, []byte(`"errorMessage"`)) {
			t.Fatalf("step %d: %s", step, answer)
		}
		// Every build after the first is told its documents: it lists nothing.
		if step > 0 && step%2 == 0 && len(records) > 0 && !bytes.Contains(answer, []byte(`"mode":"event"`)) {
			t.Fatalf("step %d: not an event build: %s", step, answer)
		}
		if lost { // the schedule comes round
			answer = fn.invoke(t, []byte(`{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","account":"1","time":"2026-03-01T08:00:00Z","region":"us-east-1","resources":[],"detail":{}}`))
			if !bytes.Contains(answer, []byte(`"mode":"incremental"`)) {
				t.Fatalf("step %d: the scheduled build: %s", step, answer)
			}
		}

		b := &publish.Build{Site: site, Articles: articles, Out: fullOut, Now: now, Full: true, MaxRetraction: -1}
		if _, err := b.Run(ctx); err != nil {
			t.Fatalf("step %d: -full build: %v", step, err)
		}
		got, want := published(t, client, feeds), published(t, client, full)
		if strings.Join(keysOf(got), " ") != strings.Join(keysOf(want), " ") {
			t.Fatalf("step %d: objects differ:\n event %v\n full  %v", step, keysOf(got), keysOf(want))
		}
		for k, body := range want {
			if !bytes.Equal(got[k], body) {
				t.Fatalf("step %d: %s differs:\n event %s\n full  %s", step, k, got[k], body)
			}
			if strings.HasPrefix(k, "feeds/") && !strings.HasSuffix(k, ".html") {
				wellFormed(t, k, body)
			}
		}
	}
	// Not a test of nothing: the site grew feeds of every set.
	final := published(t, client, feeds)
	for _, prefix := range []string{"feeds/category/", "feeds/tag/", "feeds/author/"} {
		n := 0
		for k := range final {
			if strings.HasPrefix(k, prefix) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no %s feed at the end: %v", prefix, keysOf(final))
		}
	}
	t.Logf("%d documents, %d published objects at the end", len(names), len(final))
}

func toBytes(recs []json.RawMessage) [][]byte {
	out := make([][]byte, len(recs))
	for i, r := range recs {
		out[i] = r
	}
	return out
}

// published returns the published objects of a bucket (feedcheck.Site).
func published(t testing.TB, client *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	objs, err := feedcheck.Site(context.Background(), store.NewS3(client, bucket, ""))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
