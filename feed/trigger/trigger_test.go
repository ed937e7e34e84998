package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/trigger"
)

// Message ids in testdata/sqs-s3.json.
const (
	msgPut     = "059f36b4-87a3-44ab-83d2-661975830a7d" // article created
	msgDelete  = "2e1424d4-f796-459a-8184-9c92662be6da" // article deleted
	msgOutside = "7b2a1c9e-3f4d-4e5a-9b6c-0d1e2f3a4b5c" // feeds/index.json written: not an article
	msgTest    = "c80e8021-a70a-42c7-a470-796e1186f753" // s3:TestEvent
	msgGarbage = "f4b7a9e2-1c3d-4e5f-8a9b-0c1d2e3f4a5b" // not an S3 notification
)

// builder is a BuildFunc that counts its calls.
type builder struct {
	mu     sync.Mutex
	calls  int
	jobs   []trigger.Job
	report *publish.Report
	err    error
}

type ctxKey struct{}

func (b *builder) build(ctx context.Context, job trigger.Job) (*publish.Report, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ctx.Value(ctxKey{}) != "invocation" {
		return nil, errors.New("build got another context than the invocation's")
	}
	b.calls++
	b.jobs = append(b.jobs, job)
	if b.err != nil {
		return nil, b.err
	}
	return b.report, nil
}

func (b *builder) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func newHandler(prefix string, buildErr error) (*trigger.Handler, *builder) {
	b := &builder{
		report: &publish.Report{
			Articles: publish.Counts{Read: 3, Accepted: 2, Rejected: 1, Published: 2},
			Rejected: []publish.Rejection{{Key: "articles/broken.json"}},
			Written:  []string{"feeds/index.rss"},
		},
		err: buildErr,
	}
	return &trigger.Handler{
		Build:         b.build,
		ArticlePrefix: prefix,
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, b
}

func invocation() context.Context {
	return context.WithValue(context.Background(), ctxKey{}, "invocation")
}

func readEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandle covers every event but SQS batches (see TestHandleSQS).
func TestHandle(t *testing.T) {
	tests := []struct {
		name        string
		event       string // a file in testdata, or the event itself when it starts with {
		prefix      string // ArticlePrefix; "articles/" when empty
		wantBuilds  int
		wantTrigger string // "" when an error is wanted
		wantErr     error
	}{
		{"S3 put of an article", "s3-put.json", "", 1, "s3", nil},
		{"S3 delete of an article", "s3-delete.json", "", 1, "s3", nil},
		// The build's own output must not trigger a build (a loop).
		{"S3 put outside articles/", "s3-outside-articles.json", "", 0, "s3", nil},
		{"S3 put of a non-JSON file under articles/", "s3-put-not-json.json", "", 0, "s3", nil},
		{"S3 put, other prefix", "s3-put.json", "drafts/", 0, "s3", nil},
		{"S3 URL-encoded key", "s3-encoded-key.json", "", 1, "s3", nil},
		// Only the decoded key ("articles/热点 news.json") has these prefixes.
		{"S3 URL-encoded key, decoded prefix", "s3-encoded-key.json", "articles/热点 ", 1, "s3", nil},
		{"S3 URL-encoded key, encoded prefix", "s3-encoded-key.json", "articles/%E7", 0, "s3", nil},
		{"S3 URL-encoded key, + kept as +", "s3-encoded-key.json", "articles/热点+", 0, "s3", nil},
		{"EventBridge schedule", "schedule.json", "", 1, "schedule", nil},
		{"rebuild all", "rebuild-all.json", "", 1, "rebuild", nil},
		{"rebuild some", "rebuild-some.json", "", 0, "", trigger.ErrUnknownEvent},
		{"unknown event", "unknown.json", "", 0, "", trigger.ErrUnknownEvent},
		// Lambda never sends an empty batch; with no record there is no
		// telling an S3 event from an SQS one, so it is refused.
		{"empty SQS batch", "sqs-empty.json", "", 0, "", trigger.ErrUnknownEvent},
		{"rebuild not a string", `{"rebuild": 1}`, "", 0, "", trigger.ErrUnknownEvent},
		{"rebuild empty", `{"rebuild": ""}`, "", 0, "", trigger.ErrUnknownEvent},
		{"records of another source", `{"Records": [{"eventSource": "aws:kinesis"}]}`, "", 0, "", trigger.ErrUnknownEvent},
		{"JSON array", `[]`, "", 0, "", trigger.ErrUnknownEvent},
		{"JSON null", `null`, "", 0, "", trigger.ErrUnknownEvent},
		{"not JSON", `rebuild all`, "", 0, "", trigger.ErrUnknownEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := json.RawMessage(tt.event)
			if strings.HasSuffix(tt.event, ".json") {
				raw = readEvent(t, tt.event)
			}
			prefix := tt.prefix
			if prefix == "" {
				prefix = "articles/"
			}
			h, b := newHandler(prefix, nil)
			got, err := h.Handle(invocation(), raw)
			if n := b.count(); n != tt.wantBuilds {
				t.Errorf("builds: got %d, want %d", n, tt.wantBuilds)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error: got %v, want %v", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("answer with the error: got %#v, want none", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: got %v, want none", err)
			}
			res, ok := got.(*trigger.Result)
			if !ok {
				t.Fatalf("answer: got %T, want *trigger.Result", got)
			}
			if res.Trigger != tt.wantTrigger {
				t.Errorf("Trigger: got %q, want %q", res.Trigger, tt.wantTrigger)
			}
			built := tt.wantBuilds > 0
			if res.Built != built {
				t.Errorf("Built: got %v, want %v", res.Built, built)
			}
			switch {
			case built && !reflect.DeepEqual(res.Report, b.report.Summary()):
				t.Errorf("Report: got %+v, want the summary of the build's report", res.Report)
			case !built && res.Report != nil:
				t.Errorf("Report: got %+v, want none", res.Report)
			}
		})
	}
}

// TestAnswerDoesNotGrowWithTheSite: a synchronous invocation's answer is at
// most 6 MB, and a report lists every feed and output; the answer carries
// the counts and the first rejections, and names the whole report.
func TestAnswerDoesNotGrowWithTheSite(t *testing.T) {
	h, b := newHandler("articles/", nil)
	rep := &publish.Report{Mode: "event", Articles: publish.Counts{Read: 1_000_000, Fetched: 1, Rejected: 10_000, Published: 990_000}}
	for i := range 50_000 {
		name := fmt.Sprintf("tag/t%05d", i)
		rep.Feeds = append(rep.Feeds, publish.FeedReport{Name: name, Title: name, Items: 50, URL: "https://feeds.example.com/feeds/" + name + ".rss"})
		for _, ext := range []string{".rss", ".atom", ".json"} {
			rep.Unchanged = append(rep.Unchanged, "feeds/"+name+ext)
		}
	}
	for i := range 10_000 {
		rep.Rejected = append(rep.Rejected, publish.Rejection{Key: fmt.Sprintf("articles/bad-%05d.json", i)})
	}
	rep.Written = []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json"}
	rep.Hubs = []publish.HubReport{{Hub: "https://hub.example.com/", Topics: 3, Failed: []string{"a", "b"}, Error: "hub answered 503"}}
	b.report = rep

	got, err := h.Handle(invocation(), readEvent(t, "s3-put.json"))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(answer) > 16<<10 {
		t.Fatalf("answer: %d bytes for a report of 50,000 feeds, want a few KB", len(answer))
	}
	var res struct {
		Report struct {
			Articles   publish.Counts      `json:"articles"`
			Rejected   []publish.Rejection `json:"rejected"`
			Feeds      int                 `json:"feeds"`
			Written    int                 `json:"written"`
			Unchanged  int                 `json:"unchanged"`
			HubsFailed int                 `json:"hubs_failed"`
			Key        string              `json:"report_key"`
		} `json:"report"`
	}
	decode(t, answer, &res)
	r := res.Report
	if r.Articles != rep.Articles || r.Feeds != 50_000 || r.Written != 3 || r.Unchanged != 150_000 || r.HubsFailed != 2 {
		t.Errorf("counts: got %+v", r)
	}
	if len(r.Rejected) != publish.SummaryRejections || r.Rejected[0].Key != "articles/bad-00000.json" {
		t.Errorf("rejected: got %d, first %+v; want the first %d", len(r.Rejected), r.Rejected[:min(1, len(r.Rejected))], publish.SummaryRejections)
	}
	if r.Key != "build-report.json" {
		t.Errorf("report_key: got %q, want build-report.json", r.Key)
	}
}

func TestHandleBuildError(t *testing.T) {
	buildErr := errors.New("read site.yaml: access denied")
	for _, tt := range []struct {
		event   string
		trigger string
	}{
		{"s3-put.json", "s3"},
		{"schedule.json", "schedule"},
		{"rebuild-all.json", "rebuild"},
	} {
		t.Run(tt.event, func(t *testing.T) {
			h, b := newHandler("articles/", buildErr)
			got, err := h.Handle(invocation(), readEvent(t, tt.event))
			if !errors.Is(err, buildErr) {
				t.Fatalf("error: got %v, want it to wrap %v", err, buildErr)
			}
			if errors.Is(err, trigger.ErrUnknownEvent) {
				t.Errorf("error: got %v, want no ErrUnknownEvent for a known event", err)
			}
			if !strings.Contains(err.Error(), tt.trigger) {
				t.Errorf("error: got %q, want it to name the trigger %q", err, tt.trigger)
			}
			if got != nil {
				t.Errorf("answer with the error: got %#v, want none", got)
			}
			if b.count() != 1 {
				t.Errorf("builds: got %d, want 1", b.count())
			}
		})
	}
}

func TestHandleSQS(t *testing.T) {
	tests := []struct {
		name         string
		event        string
		buildErr     error
		wantBuilds   int
		wantFailures []string
	}{
		// One build for the batch; only the message that is no S3
		// notification goes back to the queue (and on to its dead-letter
		// queue).
		{"build succeeds", "sqs-s3.json", nil, 1, []string{msgGarbage}},
		// Every message that asked for the build is retried, not the test
		// event nor the write outside articles/.
		{"build fails", "sqs-s3.json", errors.New("write feeds/index.rss: slow down"), 1, []string{msgGarbage, msgPut, msgDelete}},
		{"only a test event", "sqs-test-event.json", nil, 0, nil},
		{"only a test event, build would fail", "sqs-test-event.json", errors.New("unreachable"), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, b := newHandler("articles/", tt.buildErr)
			got, err := h.Handle(invocation(), readEvent(t, tt.event))
			if err != nil {
				t.Fatalf("error: got %v, want none (failures go in the response)", err)
			}
			resp, ok := got.(events.SQSEventResponse)
			if !ok {
				t.Fatalf("answer: got %T, want events.SQSEventResponse", got)
			}
			if n := b.count(); n != tt.wantBuilds {
				t.Errorf("builds: got %d, want %d", n, tt.wantBuilds)
			}
			var ids []string
			for _, f := range resp.BatchItemFailures {
				ids = append(ids, f.ItemIdentifier)
			}
			slices.Sort(ids)
			want := slices.Sorted(slices.Values(tt.wantFailures))
			if !slices.Equal(ids, want) {
				t.Errorf("batch item failures: got %q, want %q", ids, want)
			}
			// The runtime reads the answer as JSON: an empty list, not null,
			// says every message succeeded.
			j, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 && !strings.Contains(string(j), `"batchItemFailures":[]`) {
				t.Errorf("JSON answer: got %s, want an empty batchItemFailures list", j)
			}
		})
	}
}

// TestTestdataShapes decodes every fixture into aws-lambda-go's event
// structs and checks the fields the handler and AWS rely on, so that the
// fixtures keep AWS's documented shapes.
func TestTestdataShapes(t *testing.T) {
	shapes := map[string]func(t *testing.T, raw []byte){
		"s3-put.json":              checkS3("ObjectCreated:Put", "articles/2024/heat-wave.json"),
		"s3-delete.json":           checkS3("ObjectRemoved:Delete", "articles/2024/heat-wave.json"),
		"s3-outside-articles.json": checkS3("ObjectCreated:Put", "feeds/index.json"),
		"s3-put-not-json.json":     checkS3("ObjectCreated:Put", "articles/2024/heat-wave.jpg"),
		"s3-encoded-key.json":      checkS3("ObjectCreated:Put", "articles/热点 news.json"),
		"sqs-s3.json":              checkSQS(msgPut, msgDelete, msgOutside, msgTest, msgGarbage),
		"sqs-test-event.json":      checkSQS(msgTest),
		"sqs-empty.json":           checkSQS(),
		"schedule.json":            checkSchedule,
		"rebuild-all.json":         checkDirect("all"),
		"rebuild-some.json":        checkDirect("some"),
		"unknown.json":             checkDirect(""),
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if shapes[filepath.Base(f)] == nil {
			t.Errorf("%s: no shape check for this fixture", f)
		}
	}
	for name, check := range shapes {
		t.Run(name, func(t *testing.T) { check(t, readEvent(t, name)) })
	}
}

func decode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
}

func checkS3(eventName, decodedKey string) func(t *testing.T, raw []byte) {
	return func(t *testing.T, raw []byte) {
		t.Helper()
		var ev events.S3Event
		decode(t, raw, &ev)
		if len(ev.Records) == 0 {
			t.Fatal("no records")
		}
		for _, r := range ev.Records {
			if r.EventSource != "aws:s3" {
				t.Errorf("eventSource: got %q, want aws:s3", r.EventSource)
			}
			if r.EventName != eventName {
				t.Errorf("eventName: got %q, want %q", r.EventName, eventName)
			}
			if r.EventTime.IsZero() || r.AWSRegion == "" || r.S3.Bucket.Name == "" || r.S3.Bucket.Arn == "" || r.S3.Object.Sequencer == "" {
				t.Errorf("record misses eventTime, awsRegion, bucket or sequencer: %+v", r)
			}
			if r.S3.Object.URLDecodedKey != decodedKey {
				t.Errorf("decoded key: got %q, want %q", r.S3.Object.URLDecodedKey, decodedKey)
			}
			created := strings.HasPrefix(eventName, "ObjectCreated:")
			if created != (r.S3.Object.Size > 0 && r.S3.Object.ETag != "") {
				t.Errorf("size %d, eTag %q: want both for a creation, neither for a removal", r.S3.Object.Size, r.S3.Object.ETag)
			}
		}
	}
}

func checkSQS(ids ...string) func(t *testing.T, raw []byte) {
	return func(t *testing.T, raw []byte) {
		t.Helper()
		var ev events.SQSEvent
		decode(t, raw, &ev)
		var got []string
		for _, m := range ev.Records {
			got = append(got, m.MessageId)
			if m.EventSource != "aws:sqs" || m.EventSourceARN == "" || m.ReceiptHandle == "" || m.Body == "" || m.Attributes["SentTimestamp"] == "" {
				t.Errorf("message %s misses eventSource, eventSourceARN, receiptHandle, body or SentTimestamp", m.MessageId)
			}
			switch m.MessageId {
			case msgPut, msgDelete, msgOutside:
				var s3ev events.S3Event
				decode(t, []byte(m.Body), &s3ev)
				if len(s3ev.Records) != 1 || s3ev.Records[0].EventSource != "aws:s3" || s3ev.Records[0].S3.Object.Key == "" {
					t.Errorf("message %s: body is not an S3 notification: %s", m.MessageId, m.Body)
				}
			case msgTest:
				var test events.S3TestEvent
				decode(t, []byte(m.Body), &test)
				if test.Event != "s3:TestEvent" || test.Service != "Amazon S3" || test.Bucket == "" || test.Time.IsZero() {
					t.Errorf("message %s: body is not an S3 test event: %+v", m.MessageId, test)
				}
			case msgGarbage:
				if json.Valid([]byte(m.Body)) {
					t.Errorf("message %s: body %q is JSON, want garbage", m.MessageId, m.Body)
				}
			}
		}
		if !slices.Equal(got, ids) {
			t.Errorf("message ids: got %q, want %q", got, ids)
		}
	}
}

func checkSchedule(t *testing.T, raw []byte) {
	var ev events.EventBridgeEvent
	decode(t, raw, &ev)
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
		t.Errorf("detail-type %q, source %q: want a scheduled event", ev.DetailType, ev.Source)
	}
	if ev.ID == "" || ev.Version == "" || ev.AccountID == "" || ev.Region == "" || ev.Time.IsZero() || len(ev.Resources) == 0 || len(ev.Detail) == 0 {
		t.Errorf("event misses id, version, account, region, time, resources or detail: %+v", ev)
	}
}

func checkDirect(rebuild string) func(t *testing.T, raw []byte) {
	return func(t *testing.T, raw []byte) {
		t.Helper()
		var ev map[string]any
		decode(t, raw, &ev)
		if got, _ := ev["rebuild"].(string); got != rebuild {
			t.Errorf("rebuild: got %q, want %q", got, rebuild)
		}
	}
}

// Each event asks for its own kind of build: S3 notifications name the
// documents (relative to the articles location, decoded, each once), a
// schedule lists every document, a rebuild reads them all again.
func TestHandleJobs(t *testing.T) {
	tests := []struct {
		event string
		want  trigger.Job
	}{
		{"s3-put.json", trigger.Job{Trigger: "s3", Keys: []string{"2024/heat-wave.json"}}},
		{"s3-delete.json", trigger.Job{Trigger: "s3", Keys: []string{"2024/heat-wave.json"}}},
		{"s3-encoded-key.json", trigger.Job{Trigger: "s3", Keys: []string{"热点 news.json"}}},
		{"sqs-s3.json", trigger.Job{Trigger: "sqs", Keys: []string{"2024/heat-wave.json"}}},
		{"schedule.json", trigger.Job{Trigger: "schedule"}},
		{"rebuild-all.json", trigger.Job{Trigger: "rebuild", Full: true}},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			h, b := newHandler("articles/", nil)
			if _, err := h.Handle(invocation(), readEvent(t, tt.event)); err != nil {
				t.Fatal(err)
			}
			if len(b.jobs) != 1 {
				t.Fatalf("jobs: got %+v, want one", b.jobs)
			}
			got := b.jobs[0]
			if got.Trigger != tt.want.Trigger || got.Full != tt.want.Full || !slices.Equal(got.Keys, tt.want.Keys) ||
				(got.Keys == nil) != (tt.want.Keys == nil) {
				t.Errorf("job: got %+v, want %+v", got, tt.want)
			}
		})
	}
}
