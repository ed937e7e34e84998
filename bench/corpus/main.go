// Command corpus writes a generated article corpus (see package
// content/corpus) to a folder or an S3 prefix, for benchmarks and tests of
// a build at scale:
//
//	go run ./bench/corpus -n 100000 -seed 1 -out /tmp/corpus
//	go run ./bench/corpus -n 100000 -seed 1 -out s3://bucket -now 2025-06-01T00:00:00Z
//
// Documents go to <out>/articles/<id>.json; build them with
// -articles <out>/articles (or s3://bucket/articles) and a site whose
// time_zone is -tz. The same flags give the same bytes; -now defaults to
// the start of the current day (UTC), so reruns on one day agree.
// Documents the store already holds unchanged are not rewritten.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
	_ "time/tzdata" // -tz works on machines without a zone database

	"github.com/feedpub/feedpub/content/corpus"
	"github.com/feedpub/feedpub/content/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "number of documents")
	seed := fs.Int64("seed", 1, "seed: the same flags give the same documents")
	out := fs.String("out", "", "folder or s3://bucket/prefix to write <prefix>/<id>.json into (required)")
	now := fs.String("now", "", "RFC 3339 time the corpus is made for: published times before it, embargoes after (default: today 00:00 UTC)")
	tz := fs.String("tz", "Asia/Shanghai", "IANA zone naive local times are written in (the site's time_zone)")
	categories := fs.Int("categories", corpus.DefaultCategories, "distinct categories")
	tags := fs.Int("tags", corpus.DefaultTags, "distinct tags")
	authors := fs.Int("authors", corpus.DefaultAuthors, "distinct authors")
	malformed := fs.Float64("malformed", 0, "share of deliberately malformed documents, 0 to 1 (e.g. 0.001)")
	short := fs.Bool("short", false, "short bodies (about 0.5 KB) instead of 2-6 KB")
	prefix := fs.String("prefix", corpus.DefaultPrefix, "key prefix of the documents")
	workers := fs.Int("workers", 0, "parallel writers (default: 32 for S3, 16 for a folder)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("-out is required (a folder or s3://bucket/prefix)")
	}
	opts := corpus.Options{
		N: *n, Seed: *seed, Categories: *categories, Tags: *tags, Authors: *authors,
		Malformed: *malformed, ShortBodies: *short, Prefix: *prefix, Workers: *workers,
	}
	if *now == "" {
		opts.Now = time.Now().UTC().Truncate(24 * time.Hour)
	} else {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return fmt.Errorf("-now: %w", err)
		}
		opts.Now = t
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz: %w", err)
	}
	opts.Location = loc
	if opts.Prefix != "" && !strings.HasSuffix(opts.Prefix, "/") {
		opts.Prefix += "/"
	}
	if opts.Workers == 0 && strings.HasPrefix(*out, "s3://") {
		opts.Workers = 32
	}
	g, err := corpus.New(opts)
	if err != nil {
		return err
	}
	b, err := store.Open(ctx, *out)
	if err != nil {
		return err
	}
	start := time.Now()
	st, err := g.Write(ctx, b)
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "corpus: %d documents (%d new or changed), %.1f MB, to %s in %s (seed %d, now %s, tz %s)\n",
		st.Docs, st.Changed, float64(st.Bytes)/1e6, *out, elapsed.Round(time.Millisecond), *seed,
		g.Now().Format(time.RFC3339), *tz)
	return err
}
