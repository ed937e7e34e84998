package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// buildCommand is the build function's binary run as the build command
// (as it runs outside Lambda), for the articles at articles and the site
// file at siteFile, publishing to out, at faultNow.
func buildCommand(env []string, articles, siteFile, out string) *exec.Cmd {
	cmd := exec.Command(bootstraps["build"], "-articles", articles, "-site", siteFile, "-out", out,
		"-now", faultNow.Format(time.RFC3339), "-allow-retraction")
	cmd.Env = append(cleanEnv(), env...)
	return cmd
}

// killed says where a SIGKILL found a build, by what it left.
type killed struct {
	at    string // "before the claim", "holding the claim", "after the commit"
	temps int    // temporary files left behind (folder), in all
}

// crashRun is one kill point: the build command started, killed when kill
// says, then checked as readers and the next build find what it left.
type crashRun struct {
	t       *testing.T
	site    *feed.Site
	objects func() (map[string][]byte, int) // every object of the output store, and temporary files
	cat     catalog.Store
	src     interface {
		GetIfChanged(ctx context.Context, key, version string) (*store.Object, error)
	}
	recover func() ([]byte, error) // the next build: its output
}

// after checks the output store after a build was killed, and classifies
// where the kill found it from the catalog's head before and after.
func (r *crashRun) after(headBefore []byte) killed {
	t := r.t
	t.Helper()
	objs, temps := r.objects()
	k := killed{temps: temps}
	if _, ok := objs[layout.Manifest]; !ok {
		// A first build killed before its manifest: nothing is published,
		// but what it wrote must be whole.
		for key, body := range objs {
			if err := checkOnce(key, body); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		}
		k.at = "before the manifest of a first build"
		if _, ok := objs[layout.CatalogHead]; ok {
			k.at = "holding the claim of a first build"
		}
		return k
	}
	st := checkSite(t, objs, r.cat, r.site, false)
	checkServes(t, r.src, objs)
	switch head := objs[layout.CatalogHead]; {
	case st.claimed:
		k.at = "holding the claim"
	case bytes.Equal(head, headBefore):
		k.at = "before the claim"
	default:
		k.at = "after the commit"
	}
	return k
}

// next runs the next build, which must complete: at once, or, when the
// dead build's claim holds the catalog, once the claim has expired. It
// returns the store's objects after it.
func (r *crashRun) next(k *killed) map[string][]byte {
	t := r.t
	t.Helper()
	out, err := r.recover()
	if err != nil && strings.Contains(string(out), catalog.ErrBusy.Error()) {
		t.Fatalf("the build after the kill (%s) found the dead build's claim: a claim made on this machine by a process that is gone must not hold the catalog\n%s", k.at, out)
	}
	if err != nil {
		t.Fatalf("the build after the kill: %v\n%s", err, out)
	}
	objs, _ := r.objects()
	checkSite(t, objs, r.cat, r.site, true)
	return objs
}

// folderObjects returns every file below dir by key, and how many
// temporary files of unfinished writes there are (hidden dot-files, which
// no listing shows).
func folderObjects(t *testing.T, dir string) (map[string][]byte, int) {
	t.Helper()
	objs := map[string][]byte{}
	temps := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		key := filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(d.Name(), ".") && strings.HasSuffix(d.Name(), ".tmp"):
			temps++
			return nil
		case strings.HasPrefix(key, layout.StateDir+"locks/"):
			return nil // PutIf's lock files
		}
		body, err := os.ReadFile(path)
		objs[key] = body
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs, temps
}

// wasKilled reports whether the command's process died of SIGKILL.
func wasKilled(cmd *exec.Cmd) bool {
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// spread returns n delays across limit, the first near its start.
func spread(n int, limit time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration((float64(i) + 0.25) / float64(n) * float64(limit))
	}
	return out
}

// The build command killed with SIGKILL at points spread over its run, on
// a folder: from scratch and incremental builds in turn, each after a
// change of the articles. After each kill every file a reader can see is
// whole and valid (a write is a temporary dot-file renamed into place),
// the manifest's objects are there and served, the catalog loads; the
// next build completes and publishes what a build from scratch does.
func TestCrashFolder(t *testing.T) {
	root := t.TempDir()
	articlesDir := filepath.Join(root, "articles")
	siteFile := filepath.Join(root, "site.yaml")
	if err := os.WriteFile(siteFile, []byte(faultSite), 0o644); err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite([]byte(faultSite))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(articlesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	corpus := newArticles(3, func(key string, body []byte) {
		if err := os.WriteFile(filepath.Join(articlesDir, strings.TrimPrefix(key, "articles/")), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}, func(key string) {
		if err := os.Remove(filepath.Join(articlesDir, strings.TrimPrefix(key, "articles/"))); err != nil {
			t.Fatal(err)
		}
	})
	corpus.fill(30)
	run := func(out string) ([]byte, error) {
		return buildCommand(nil, articlesDir, siteFile, out).CombinedOutput()
	}
	// How long a build runs: the kill points spread over it.
	timed := func(out string) time.Duration {
		start := time.Now()
		if b, err := run(out); err != nil {
			t.Fatalf("build: %v\n%s", err, b)
		}
		return time.Since(start)
	}
	live := filepath.Join(root, "live")
	scratchTime := min(timed(filepath.Join(root, "first")), timed(live))
	corpus.step()
	incrementalTime := timed(live)
	corpus.step()
	incrementalTime = min(incrementalTime, timed(live))
	t.Logf("a build from scratch takes %s, an incremental one %s", scratchTime, incrementalTime)

	const points = 20
	// Over three quarters of a build's time: its duration varies, and a
	// point past its end kills nothing.
	delays := map[bool][]time.Duration{true: spread(points/2, scratchTime*3/4), false: spread(points/2, incrementalTime*3/4)}
	where := map[string]int{}
	var kills, finished, temps int
	for i := range points {
		fromScratch := i%2 == 0
		delay := delays[fromScratch][i/2]
		corpus.step()
		out := live
		if fromScratch {
			out = filepath.Join(root, fmt.Sprintf("scratch-%d", i))
		}
		folder := store.NewFolder(out)
		r := &crashRun{t: t, site: site, cat: folder, src: folder,
			objects: func() (map[string][]byte, int) { return folderObjects(t, out) },
			recover: func() ([]byte, error) { return run(out) }}
		headBefore, _ := os.ReadFile(filepath.Join(out, filepath.FromSlash(layout.CatalogHead)))
		_, tempsBefore := folderObjects(t, out)

		cmd := buildCommand(nil, articlesDir, siteFile, out)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		if err != nil && !wasKilled(cmd) {
			t.Fatalf("point %d: the build failed by itself: %v\n%s", i, err, log.Bytes())
		}
		var got map[string][]byte
		if err == nil {
			finished++
			t.Logf("point %d (%s after the start, from scratch %v): the build finished first", i, delay, fromScratch)
			got = r.next(&killed{})
		} else {
			kills++
			k := r.after(headBefore)
			got = r.next(&k)
			where[k.at]++
			temps += k.temps - tempsBefore
			t.Logf("point %d (%s after the start, from scratch %v): killed %s; %d temporary files left; the next build %s",
				i, delay, fromScratch, k.at, k.temps-tempsBefore, "went ahead")
		}
		ref := filepath.Join(root, fmt.Sprintf("ref-%d", i))
		if b, err := run(ref); err != nil {
			t.Fatalf("the build from scratch: %v\n%s", err, b)
		}
		want, _ := folderObjects(t, ref)
		sameOutput(t, fmt.Sprintf("point %d", i), publishedOf(got), publishedOf(want))
		if t.Failed() {
			break
		}
	}
	// An hour on, the next build's writes remove the temporary files the
	// dead builds left in the directories they write to.
	_, left := folderObjects(t, live)
	old := time.Now().Add(-2 * time.Hour)
	_ = filepath.WalkDir(live, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".") && strings.HasSuffix(d.Name(), ".tmp") {
			_ = os.Chtimes(p, old, old)
		}
		return nil
	})
	corpus.step()
	if b, err := run(live); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	_, swept := folderObjects(t, live)
	if left > 0 && swept >= left {
		t.Errorf("%d temporary files an hour old before a build, %d after it: none removed", left, swept)
	}
	t.Logf("folder: %d kill points, %d kills (%d builds finished first): %v; no next build waited on a dead build's claim; %d temporary files left by the kills, %d in the live folder at the end, %d once a build ran an hour later",
		points, kills, finished, where, temps, left, swept)
	if kills < points*2/3 {
		t.Errorf("only %d of %d kill points killed a build", kills, points)
	}
}

// The build command on S3 (versitygw) killed with SIGKILL at its Nth
// request, N spread over the requests of a build: from scratch and
// incremental builds in turn. A proxy between the command and the server
// counts the requests and kills the command as the Nth arrives (an upload
// in flight is then cut off). After each kill every object is whole and
// valid, the manifest's objects are there and served, the catalog loads;
// the next build completes and publishes what a build from scratch does.
func TestCrashS3(t *testing.T) {
	srv := s3test.Start(t)
	fp := s3test.StartFaultProxy(t, srv.Endpoint)
	clean := srv.Client()
	ctx := context.Background()
	content := srv.Bucket(t)
	site, err := feed.ParseSite([]byte(faultSite))
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		if _, err := clean.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(content), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("config/site.yaml", []byte(faultSite))
	corpus := newArticles(5, put, func(key string) {
		if _, err := clean.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(content), Key: aws.String(key)}); err != nil {
			t.Fatalf("delete %s: %v", key, err)
		}
	})
	corpus.fill(12)
	env := append(srv.Env(), "AWS_ENDPOINT_URL_S3="+fp.URL, "AWS_MAX_ATTEMPTS=5")
	run := func(bucket string) ([]byte, error) {
		return buildCommand(env, "s3://"+content+"/articles", "s3://"+content+"/config/site.yaml", "s3://"+bucket+"/").CombinedOutput()
	}
	var victim atomic.Pointer[os.Process]
	var requests, killAt atomic.Int64
	fp.SetRule(func(*http.Request) s3test.Fault {
		if n := requests.Add(1); n == killAt.Load() {
			if p := victim.Load(); p != nil {
				_ = p.Kill()
			}
		}
		return s3test.Pass
	})
	counted := func(bucket string) int64 {
		requests.Store(0)
		if b, err := run(bucket); err != nil {
			t.Fatalf("build: %v\n%s", err, b)
		}
		return requests.Load()
	}
	live := srv.Bucket(t)
	scratchRequests := counted(srv.Bucket(t))
	counted(live)
	corpus.step()
	incrementalRequests := counted(live)
	t.Logf("a build from scratch makes %d requests, an incremental one %d", scratchRequests, incrementalRequests)

	const points = 10
	where := map[string]int{}
	var kills, finished int
	for i := range points {
		fromScratch := i%2 == 0
		total := map[bool]int64{true: scratchRequests, false: incrementalRequests}[fromScratch]
		// Over four fifths of a build's requests: their number varies.
		at := 1 + int64((float64(i/2)+0.5)/float64(points/2)*0.8*float64(total-1))
		corpus.step()
		bucket := live
		if fromScratch {
			bucket = srv.Bucket(t)
		}
		out := store.NewS3(clean, bucket, "")
		r := &crashRun{t: t, site: site, cat: out, src: out,
			objects: func() (map[string][]byte, int) { return s3Objects(t, clean, bucket), 0 },
			recover: func() ([]byte, error) { return run(bucket) }}
		var headBefore []byte
		if obj, err := out.Get(ctx, layout.CatalogHead); err == nil {
			headBefore = obj.Body
		}

		cmd := buildCommand(env, "s3://"+content+"/articles", "s3://"+content+"/config/site.yaml", "s3://"+bucket+"/")
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		requests.Store(0)
		killAt.Store(at)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		victim.Store(cmd.Process)
		err := cmd.Wait()
		victim.Store(nil)
		killAt.Store(0)
		if err != nil && !wasKilled(cmd) {
			t.Fatalf("point %d: the build failed by itself: %v\n%s", i, err, log.Bytes())
		}
		var got map[string][]byte
		if err == nil {
			finished++
			t.Logf("point %d (request %d of about %d, from scratch %v): the build finished first", i, at, total, fromScratch)
			got = r.next(&killed{})
		} else {
			kills++
			k := r.after(headBefore)
			got = r.next(&k)
			where[k.at]++
			t.Logf("point %d (request %d of about %d, from scratch %v): killed %s; the next build %s",
				i, at, total, fromScratch, k.at, "went ahead")
		}
		ref := srv.Bucket(t)
		if b, err := run(ref); err != nil {
			t.Fatalf("the build from scratch: %v\n%s", err, b)
		}
		sameOutput(t, fmt.Sprintf("point %d", i), publishedOf(got), publishedOf(s3Objects(t, clean, ref)))
		if t.Failed() {
			break
		}
	}
	t.Logf("versitygw: %d kill points, %d kills (%d builds finished first): %v; no next build waited on a dead build's claim",
		points, kills, finished, where)
	if kills < points*2/3 {
		t.Errorf("only %d of %d kill points killed a build", kills, points)
	}
}
