package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/publish"
)

// startSQS runs local-aws-sqs (installed by make tools into .tools/node) on
// loopback and returns its endpoint.
func startSQS(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: install Node.js (the fan-out test runs local-aws-sqs)")
	}
	dir, _ := os.Getwd()
	module := ""
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			module = filepath.Join(dir, ".tools", "node", "node_modules", "local-aws-sqs")
			break
		}
	}
	if _, err := os.Stat(module); err != nil {
		t.Fatalf("local-aws-sqs not found at %s: run `make tools` (make test installs it)", module)
	}
	port := s3test.FreePort(t)
	cmd := exec.Command(node, filepath.Join("testdata", "local-sqs.cjs"), module, port)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if s.Text() == "ready" {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		t.Fatal("local-aws-sqs did not start")
	}
	return "http://127.0.0.1:" + port
}

// A build past its fan-out size (here: any) sends its feeds, in batches, as
// messages on a real SQS-compatible queue; workers — the same bootstrap,
// in emulator instances of their own, fed by a poller that plays Lambda's
// event source mapping — render them; the coordinating build waits, then
// writes the pages and commits. It publishes what one invocation
// publishes, from scratch and after changes.
func TestFanOutEqualsOneInvocation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	endpoint, q, queue := startQueue(t)

	srv := s3test.Start(t)
	client := srv.Client()
	content, feeds, single := srv.Bucket(t), srv.Bucket(t), srv.Bucket(t)
	articles := store.NewS3(client, content, "articles")
	if _, err := store.NewS3(client, content, "").Write(ctx, &store.Object{Key: "config/site.yaml", Body: []byte(incrementalSite)}); err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite([]byte(incrementalSite))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	env := append(siteEnv(srv, content, feeds),
		"FEEDPUB_NOW="+now.Format(time.RFC3339),
		"FEEDPUB_FANOUT_QUEUE="+queue,
		"FEEDPUB_FANOUT_ABOVE=0",
		"FEEDPUB_FANOUT_BATCH=3",
		"AWS_ENDPOINT_URL_SQS="+endpoint,
	)
	coordinator := startFunction(t, bootstraps["build"], env)
	workers := []*function{startFunction(t, bootstraps["build"], env), startFunction(t, bootstraps["build"], env)}

	handled := eventSourceMapping(ctx, t, q, queue, workers)

	rng := rand.New(rand.NewPCG(5, 6))
	write := func(n int) {
		for range n {
			id := fmt.Sprintf("a%02d", rng.IntN(30))
			d := map[string]any{"id": id, "url": "https://news.example.cn/" + id + ".html",
				"title": fmt.Sprintf("标题 %d", rng.IntN(1000)), "content_html": "<p>正文</p>",
				"categories": []string{[]string{"热点", "Sport", "经济"}[rng.IntN(3)]},
				"tags":       []string{[]string{"go", "探月", "AI"}[rng.IntN(3)]},
				"authors":    []map[string]string{{"name": []string{"王立新", "Ann"}[rng.IntN(2)]}},
				"published":  now.Add(-time.Duration(rng.IntN(500)) * time.Hour).Format(time.RFC3339)}
			body, _ := json.Marshal(d)
			if _, err := articles.Write(ctx, &store.Object{Key: id + ".json", Body: body}); err != nil {
				t.Fatal(err)
			}
		}
	}
	compare := func(step string) {
		t.Helper()
		b := &publish.Build{Site: site, Articles: articles, Out: store.NewS3(client, single, ""), Now: now, Full: true, MaxRetraction: -1}
		if _, err := b.Run(ctx); err != nil {
			t.Fatal(err)
		}
		got, want := published(t, client, feeds), published(t, client, single)
		if strings.Join(keysOf(got), " ") != strings.Join(keysOf(want), " ") {
			t.Fatalf("%s: objects differ:\n fanned out %v\n one build  %v", step, keysOf(got), keysOf(want))
		}
		for k, body := range want {
			if !bytes.Equal(got[k], body) {
				t.Fatalf("%s: %s differs:\n fanned out %s\n one build  %s", step, k, got[k], body)
			}
		}
	}

	write(25)
	answer := coordinator.invoke(t, []byte(`{"rebuild":"all"}`))
	if !bytes.Contains(answer, []byte(`"built":true`)) {
		t.Fatalf("coordinator: %s\n%s", answer, coordinator.logs())
	}
	compare("from scratch")
	if first := handled(); first < 3 {
		t.Fatalf("%d batches went through the queue, want several", first)
	}
	write(6)
	answer = coordinator.invoke(t, []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	if !bytes.Contains(answer, []byte(`"built":true`)) {
		t.Fatalf("coordinator: %s\n%s", answer, coordinator.logs())
	}
	compare("after changes")
	cancel()
	handled()
}

// startQueue runs local-aws-sqs and creates the fan-out queue in it: the
// server's endpoint, a client, and the queue's URL.
func startQueue(t testing.TB) (endpoint string, q *sqs.Client, queue string) {
	t.Helper()
	endpoint = startSQS(t)
	q = sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	created, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("feedpub-fanout")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	return endpoint, q, aws.ToString(created.QueueUrl)
}

// eventSourceMapping plays Lambda's SQS event source mapping until ctx
// ends: a poller a worker, as Lambda runs instances side by side, each
// receiving up to two messages at a time from queue, invoking its worker
// with them as an SQS event, and deleting those the worker did not report
// failed. handled waits, once ctx has ended, for the
// mapping to stop, and returns how many messages it deleted so far.
func eventSourceMapping(ctx context.Context, t testing.TB, q *sqs.Client, queue string, workers []*function) (handled func() int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	poll := func(worker *function) {
		defer wg.Done()
		for ctx.Err() == nil {
			got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 2, WaitTimeSeconds: 1})
			if err != nil || len(got.Messages) == 0 {
				continue
			}
			var recs []string
			for _, m := range got.Messages {
				body, _ := json.Marshal(aws.ToString(m.Body))
				recs = append(recs, fmt.Sprintf(`{"messageId":%q,"receiptHandle":%q,"body":%s,"attributes":{},"messageAttributes":{},"md5OfBody":"","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:feedpub-fanout","awsRegion":"us-east-1"}`,
					aws.ToString(m.MessageId), aws.ToString(m.ReceiptHandle), body))
			}
			answer := worker.invoke(t, []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`))
			var resp sqsResponse
			if err := json.Unmarshal(answer, &resp); err != nil {
				t.Errorf("worker answer: %s", answer)
				continue
			}
			failed := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
			for _, m := range got.Messages {
				if !failed[aws.ToString(m.MessageId)] {
					_, _ = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queue), ReceiptHandle: m.ReceiptHandle})
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		}
	}
	for _, worker := range workers {
		wg.Add(1)
		go poll(worker)
	}
	return func() int {
		if ctx.Err() != nil {
			wg.Wait()
		}
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}
