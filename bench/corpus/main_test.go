package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/corpus"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
)

func TestFolder(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-n", "120", "-seed", "3", "-out", dir, "-now", "2025-06-01T00:00:00Z", "-malformed", "0.05"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "120 documents (120 new or changed)") {
		t.Errorf("output: %s", stdout.String())
	}
	g, err := corpus.New(corpus.Options{N: 120, Seed: 3, Now: mustTime(t, "2025-06-01T00:00:00Z"), Malformed: 0.05, Location: mustZone(t, "Asia/Shanghai")})
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for i := range 120 {
		key, want := g.Doc(i)
		got, err := os.ReadFile(filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s is not the generated document", key)
		}
		if _, err := content.Parse(key, got, mustZone(t, "Asia/Shanghai")); err != nil {
			rejected++
		}
	}
	if rejected == 0 || rejected > 20 {
		t.Errorf("%d of 120 rejected with -malformed 0.05", rejected)
	}

	stdout.Reset()
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "(0 new or changed)") {
		t.Errorf("rerun: %s", stdout.String())
	}

	for _, bad := range [][]string{{}, {"-out", dir, "-now", "tomorrow"}, {"-out", dir, "-tz", "Mars/Olympus"}, {"-out", dir, "-n", "-1"}, {"-out", dir, "extra"}} {
		if err := run(context.Background(), bad, &stdout, &stderr); err == nil {
			t.Errorf("run(%q) succeeded", bad)
		}
	}
}

func TestS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-n", "150", "-out", "s3://" + bucket + "/content", "-short"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	s3 := store.NewS3(srv.Client(), bucket, "content")
	infos, err := s3.List(context.Background(), "articles/")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 150 {
		t.Fatalf("%d objects under content/articles/, want 150", len(infos))
	}
	obj, err := s3.Get(context.Background(), infos[7].Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := content.Parse(obj.Key, obj.Body, nil); err != nil {
		t.Error(err)
	}
	if obj.ContentType != store.TypeByKey(obj.Key) {
		t.Errorf("content type %q", obj.ContentType)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
