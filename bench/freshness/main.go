// Command freshness measures event-to-feed freshness: the build function's
// bootstrap runs under the Lambda runtime interface emulator against an S3
// endpoint that already holds a corpus and its built site; each round edits
// one recent article, sends the S3 notification of that change, and times
// the invocation — from the event reaching the function to every affected
// output committed to the store. It prints the percentiles, and each
// event's time and the function's answer on standard error.
//
//	go run ./bench/freshness -bootstrap BIN -rie aws-lambda-rie -articles s3://content/articles \
//	    -site s3://content/site.yaml -out s3://feeds/ -n 50
//
// Endpoint and credentials come from the SDK's environment, as for the
// functions (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, ...).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "freshness:", err)
		os.Exit(1)
	}
}

func run() error {
	bootstrap := flag.String("bootstrap", "", "the build function's bootstrap binary")
	rie := flag.String("rie", "aws-lambda-rie", "the runtime interface emulator")
	articles := flag.String("articles", "", "s3://bucket/prefix of the articles")
	site := flag.String("site", "", "s3:// key of the site definition")
	out := flag.String("out", "", "s3://bucket/prefix of the built site")
	now := flag.String("now", "2025-06-01T00:00:00Z", "the build's clock (FEEDPUB_NOW)")
	n := flag.Int("n", 50, "events to send")
	flag.Parse()
	ctx := context.Background()
	src, err := store.Open(ctx, *articles)
	if err != nil {
		return err
	}
	feeds, err := store.Open(ctx, *out)
	if err != nil {
		return err
	}
	// The most recent articles: they are in feeds, so each edit changes
	// several outputs.
	index, err := feeds.Get(ctx, "feeds/index.json")
	if err != nil {
		return err
	}
	var jf struct {
		Items []struct {
			URL string `json:"url"`
		} `json:"items"`
	}
	if err := json.Unmarshal(index.Body, &jf); err != nil {
		return err
	}
	var keys []string
	for _, it := range jf.Items {
		base := it.URL[strings.LastIndex(it.URL, "/")+1:]
		keys = append(keys, strings.TrimSuffix(base, ".html")+".json")
	}
	if len(keys) == 0 {
		return fmt.Errorf("no items in feeds/index.json")
	}

	addr, api := freePort(), freePort()
	cmd := exec.Command(*rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, *bootstrap)
	cmd.Env = append(os.Environ(), "FEEDPUB_ARTICLES="+*articles, "FEEDPUB_SITE="+*site, "FEEDPUB_OUT="+*out, "FEEDPUB_NOW="+*now)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 100 {
			return fmt.Errorf("the emulator did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	bucket, prefix := splitS3(*articles)
	var took []time.Duration
	for i := range *n {
		key := keys[i%len(keys)]
		obj, err := src.Get(ctx, key)
		if err != nil {
			return err
		}
		body := bytes.Replace(obj.Body, []byte(`"title":"`), []byte(fmt.Sprintf(`"title":"[%d] `, i)), 1)
		if _, err := src.Write(ctx, &store.Object{Key: key, Body: body}); err != nil {
			return err
		}
		event := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"%s","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":%d}}}]}`,
			time.Now().UTC().Format(time.RFC3339), bucket, bucket, prefix+key, len(body))
		start := time.Now()
		resp, err := http.Post(url, "application/json", strings.NewReader(event))
		if err != nil {
			return err
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if !bytes.Contains(answer, []byte(`"built":true`)) {
			return fmt.Errorf("event %d: %s\n%s", i, answer, logs.String())
		}
		fmt.Fprintf(os.Stderr, "event %d: %s %s\n", i, d.Round(time.Millisecond), bytes.TrimSpace(answer))
		if i > 0 { // the first pays the function's cold start
			took = append(took, d)
		}
	}
	slices.Sort(took)
	pct := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	fmt.Printf("events %d (after one cold): p50 %s  p90 %s  p99 %s  max %s\n", len(took),
		pct(0.5).Round(time.Millisecond), pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	return nil
}

func splitS3(loc string) (bucket, prefix string) {
	rest := strings.TrimPrefix(loc, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		prefix += "/"
	}
	return bucket, prefix
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
