package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/corpus"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
)

// BenchmarkFanOut builds a generated corpus of FEEDPUB_BENCH_FANOUT
// articles (skipped when unset: bench/fanout.sh sets it) from scratch on
// versitygw, with bench/site.yaml (full text, every default: variants,
// archives, previews, deltas), fanned out over local-aws-sqs to two
// workers, all three the build bootstrap under the Lambda emulator. Each
// is told the memory of its function as the template deploys it
// (FEEDPUB_BENCH_BUILD_MB and FEEDPUB_BENCH_WORKER_MB, 512 by default), so
// its soft memory limit is the deployed one. It reports the build's wall
// time, the batches the workers rendered, and the peak resident memory
// (VmHWM) of the coordinator and of the larger of the workers: what sizes
// the two functions. Run it with -benchtime=1x; each iteration builds into
// an empty bucket with new function instances.
func BenchmarkFanOut(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("FEEDPUB_BENCH_FANOUT"))
	if n <= 0 {
		b.Skip("set FEEDPUB_BENCH_FANOUT to a corpus size (bench/fanout.sh does)")
	}
	buildMB, workerMB := envOr("FEEDPUB_BENCH_BUILD_MB", "512"), envOr("FEEDPUB_BENCH_WORKER_MB", "512")
	siteFile, err := os.ReadFile(filepath.Join("..", "..", "bench", "site.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	endpoint, q, queue := startQueue(b)

	srv := s3test.Start(b)
	client := srv.Client()
	content := srv.Bucket(b)
	root := store.NewS3(client, content, "")
	if _, err := root.Write(ctx, &store.Object{Key: "config/site.yaml", Body: siteFile}); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	g, err := corpus.New(corpus.Options{N: n, Seed: 1, Now: now, Workers: 32})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := g.Write(ctx, root); err != nil {
		b.Fatalf("write the corpus: %v", err)
	}

	var build time.Duration
	var coordinatorPeak, workerPeak int64
	batches := 0
	b.ResetTimer()
	for range b.N {
		env := append(siteEnv(srv, content, srv.Bucket(b)),
			"FEEDPUB_NOW="+now.Format(time.RFC3339),
			"FEEDPUB_FANOUT_QUEUE="+queue,
			"FEEDPUB_FANOUT_ABOVE=0",
			"AWS_ENDPOINT_URL_SQS="+endpoint,
			"AWS_LAMBDA_FUNCTION_TIMEOUT=900", // the template's, and Lambda's most
		)
		coordinator := startFunction(b, bootstraps["build"], slices.Concat(env, []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + buildMB}))
		workerEnv := slices.Concat(env, []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + workerMB})
		workers := []*function{startFunction(b, bootstraps["build"], workerEnv), startFunction(b, bootstraps["build"], workerEnv)}
		mapping, stop := context.WithCancel(ctx)
		handled := eventSourceMapping(mapping, b, q, queue, workers)

		start := time.Now()
		answer := coordinator.invoke(b, []byte(`{"rebuild":"all"}`))
		build += time.Since(start)
		stop()
		batches += handled()
		if !bytes.Contains(answer, []byte(`"built":true`)) {
			b.Fatalf("coordinator: %s\n%s", answer, coordinator.logs())
		}
		coordinatorPeak = max(coordinatorPeak, coordinator.peakRSS(b))
		for _, w := range workers {
			workerPeak = max(workerPeak, w.peakRSS(b))
		}
	}
	b.StopTimer()
	b.ReportMetric(build.Seconds()/float64(b.N), "s/build")
	b.ReportMetric(float64(batches)/float64(b.N), "batches/build")
	b.ReportMetric(float64(coordinatorPeak)/(1<<20), "coordinator-peak-MiB")
	b.ReportMetric(float64(workerPeak)/(1<<20), "worker-peak-MiB")
}

// peakRSS returns the largest peak resident set (VmHWM) among the
// emulator's child processes: the bootstrap it runs.
func (f *function) peakRSS(t testing.TB) int64 {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(f.cmd.Process.Pid) + "/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var peak int64
	for _, name := range tasks {
		list, err := os.ReadFile(name)
		if err != nil {
			continue // the thread ended
		}
		for _, pid := range strings.Fields(string(list)) {
			status, err := os.ReadFile("/proc/" + pid + "/status")
			if err != nil {
				continue
			}
			for line := range strings.Lines(string(status)) {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
					if err == nil {
						peak = max(peak, kb<<10)
					}
				}
			}
		}
	}
	if peak == 0 {
		t.Fatalf("no bootstrap process under the emulator (pid %d)", f.cmd.Process.Pid)
	}
	return peak
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
