// Command build publishes a site's feeds: from a folder of article
// documents to a folder of feeds, index page, OPML list and build report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
)

func main() {
	limitMemory()
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		runLambda()
		return
	}
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	articles := fs.String("articles", os.Getenv("FEEDPUB_ARTICLES"), "folder of article documents (env FEEDPUB_ARTICLES)")
	siteFile := fs.String("site", os.Getenv("FEEDPUB_SITE"), "site definition file (env FEEDPUB_SITE)")
	out := fs.String("out", os.Getenv("FEEDPUB_OUT"), "folder to publish into (env FEEDPUB_OUT)")
	base := fs.String("base", os.Getenv("FEEDPUB_BASE_URL"), "public base URL, overriding the site file's base_url (env FEEDPUB_BASE_URL)")
	now := fs.String("now", os.Getenv("FEEDPUB_NOW"), "build as if at this RFC 3339 time (for tests and previews; env FEEDPUB_NOW)")
	full := fs.Bool("full", false, "read every document again and render every feed, ignoring the catalog's facts")
	keys := fs.String("keys", "", "build only these documents (comma-separated keys below -articles), as an S3 event would: no listing")
	ops := fs.Bool("ops", false, "print the store operations the build made, by kind")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the build to this file (for developers)")
	memprofile := fs.String("memprofile", "", "write a heap profile of the build, taken near its peak, to this file (for developers)")
	trace := fs.Bool("trace", false, "print how long each stage of the build took, and what its memory is made of at each new peak (for developers)")
	allow := fs.Bool("allow-retraction", false, "publish even when the build takes more than 20% of the visible articles out of the feeds")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the usage is printed: asking for it is no failure
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	b, err := configure(ctx, *articles, *siteFile, *out, *base, *now)
	if err != nil {
		return err
	}
	b.Full = *full
	if *keys != "" {
		b.Keys = strings.Split(*keys, ",")
	}
	if *allow {
		b.MaxRetraction = -1
	}
	if isTerminal(stderr) {
		b.Progress = stderr
	}
	if *trace {
		var mu sync.Mutex // the stages and the memory watch print to one writer
		b.Trace = func(stage string, took time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stdout, "stage %-20s %8.1f ms\n", stage, float64(took.Microseconds())/1000)
		}
		stop := traceMemory(func(line string) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(stdout, line)
		})
		defer stop()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		stop := peakProfile(*memprofile)
		defer stop()
	}
	var in, outOps store.Ops
	outOps.State = layout.State
	if *ops {
		countOps(b.Articles, &in)
		countOps(b.Out, &outOps)
	}
	start := time.Now()
	rep, err := b.Run(ctx)
	if rep != nil {
		printSummary(stdout, rep, *out, time.Since(start))
	}
	if *ops {
		fmt.Fprintf(stdout, "store operations: articles %s; output %s\n", in.String(), outOps.String())
	}
	return err
}

func configure(ctx context.Context, articles, siteFile, out, base, now string) (*publish.Build, error) {
	for _, f := range []struct{ name, value string }{{"-articles", articles}, {"-site", siteFile}, {"-out", out}} {
		if f.value == "" {
			return nil, fmt.Errorf("%s is required (see -h)", f.name)
		}
	}
	var when time.Time
	if now != "" {
		var err error
		if when, err = time.Parse(time.RFC3339, now); err != nil {
			return nil, fmt.Errorf("-now: %w", err)
		}
	}
	b, err := publish.Open(ctx, articles, siteFile, out, base)
	if err != nil {
		return nil, err
	}
	b.Now = when
	// How often the scheduled build runs (the template passes its
	// ScheduleRate): the published objects' Cache-Control follows it.
	if b.Schedule, err = publish.ParseSchedule(os.Getenv("FEEDPUB_SCHEDULE")); err != nil {
		return nil, err
	}
	// How long after its commit a build pings the site's WebSub hubs:
	// past the server's revalidation, and a CDN's TTL for the feeds.
	if v := os.Getenv("FEEDPUB_HUB_DELAY"); v != "" {
		if b.HubDelay, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("FEEDPUB_HUB_DELAY: %w", err)
		}
	}
	return b, nil
}

func printSummary(w io.Writer, r *publish.Report, out string, took time.Duration) {
	a := r.Articles
	fmt.Fprintf(w, "articles: %d read, %d published, %d embargoed, %d drafts, %d deleted, %d rejected\n",
		a.Read, a.Published, a.Embargoed, a.Drafts, a.Deleted, len(r.Rejected))
	for _, rej := range r.Rejected {
		for _, p := range rej.Problems {
			field := p.Field
			if field == "" {
				field = "document"
			}
			fmt.Fprintf(w, "  rejected %s: %s: %s\n", rej.Key, field, p.Reason)
		}
	}
	fmt.Fprintf(w, "feeds: %d, files written %d, unchanged %d, in %s (%s build, %d documents read, %s)\n",
		len(r.Feeds), len(r.Written), len(r.Unchanged), out, r.Mode, a.Fetched, took.Round(time.Millisecond))
	for _, h := range r.Hubs {
		if len(h.Failed) > 0 {
			fmt.Fprintf(w, "hub %s: %d of %d feeds not announced: %s\n", h.Hub, len(h.Failed), h.Topics, h.Error)
		}
	}
	if r.NextEmbargo != nil {
		fmt.Fprintf(w, "next embargo lifts at %s\n", r.NextEmbargo.Format(time.RFC3339))
	}
}

// defaultMemoryLimit is the heap a build aims to stay under when nothing
// says otherwise: a from-scratch build of 100,000 articles keeps about
// 200 MB live, and fits a 512 MB machine with it.
const defaultMemoryLimit = 384 << 20

// gcPercent is the build's GOGC.
const gcPercent = 400

// limitMemory sets the Go runtime's soft memory limit, so that the
// collector works harder rather than the build growing past its machine:
// GOMEMLIMIT when set; in Lambda, three quarters of the function's memory;
// otherwise defaultMemoryLimit. Under that limit the collector runs when
// the heap has grown by gcPercent (unless GOGC says otherwise): a build's
// live heap is mostly the catalog, which every collection scans again, and
// the default of 100 spent a sixth of a large build's CPU on it.
func limitMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return // the runtime read it already
	}
	limit := int64(defaultMemoryLimit)
	if mb, err := strconv.ParseInt(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64); err == nil && mb > 0 {
		limit = mb << 20 * 3 / 4
	}
	debug.SetMemoryLimit(limit)
}

// countOps makes a store count its operations in ops, when it can.
func countOps(s any, ops *store.Ops) {
	if c, ok := s.(interface{ Count(*store.Ops) }); ok {
		c.Count(ops)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// traceMemory prints, each time the memory the runtime holds from the
// system grows past its last peak by a twentieth, how it is spent: what
// a build's peak RSS is made of; stop ends the watch.
func traceMemory(print func(string)) (stop func()) {
	names := []string{"total", "heap/objects", "heap/unused", "heap/free", "heap/released", "heap/stacks", "metadata/other"}
	sample := make([]metrics.Sample, len(names))
	for i, n := range names {
		sample[i].Name = "/memory/classes/" + n + ":bytes"
	}
	start := time.Now()
	var peak uint64
	return watch(func() {
		metrics.Read(sample)
		held := sample[0].Value.Uint64() - sample[4].Value.Uint64() // released pages are not resident
		if held <= peak+peak/20 {
			return
		}
		peak = held
		line := fmt.Sprintf("memory %6.1fs held %4d MiB:", time.Since(start).Seconds(), held>>20)
		for i, n := range names[1:] {
			line += fmt.Sprintf(" %s %d", n, sample[i+1].Value.Uint64()>>20)
		}
		print(line)
	})
}

// peakProfile writes a heap profile to path each time the live heap
// passes its last peak by a tenth, so that the file ends up describing the
// build near its largest; stop ends the watch.
func peakProfile(path string) (stop func()) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64
	return watch(func() {
		metrics.Read(sample)
		if live := sample[0].Value.Uint64(); live > peak+peak/10 {
			peak = live
			if f, err := os.Create(path); err == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}
	})
}

// watch calls look every tenth of a second, from a goroutine of its own,
// until stop.
func watch(look func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				look()
			}
		}
	}()
	return func() { close(done); <-finished }
}
