// Command floor measures the input and output a from-scratch build cannot
// avoid on this machine, and nothing else: it reads every article document
// of a folder, then writes the bytes of a published site (a feedpub build's
// output, held in memory beforehand) into as many new files in an empty
// folder, with as many workers as the process has CPUs. Parsing,
// sanitising, selecting, rendering and hashing cost it nothing, so no build
// that reads those documents and writes those files can be faster than it.
// bench/floor.sh runs it beside feedpub and Hugo; see docs/benchmarks.md.
//
//	floor -articles DIR -site PUBLISHED -out NEW [-only .rss]
//
// It prints one line: documents and bytes read, files and bytes written,
// the seconds each part took and their sum, and the CPU seconds (user and
// system) of the measured part. Loading the published site into memory
// before the clock starts is not measured. The internal state of the
// published site (.feedpub/) is not copied: it is the build's, not the
// reader's, and would only add to the floor.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// output is one published file: its path below the site and its bytes.
type output struct {
	rel  string
	data []byte
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("floor", flag.ContinueOnError)
	fl.SetOutput(stderr)
	articles := fl.String("articles", "", "folder of article documents, read whole (required)")
	site := fl.String("site", "", "a published site whose files are written again (required)")
	out := fl.String("out", "", "folder to write into: must be absent or empty (required)")
	only := fl.String("only", "", "write only the files whose names end so (.rss: what Hugo writes)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *articles == "" || *site == "" || *out == "" || fl.NArg() > 0 {
		return errors.New("-articles, -site and -out are required, and nothing else (see -h)")
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty", *out)
	}
	outputs, err := load(*site, *only)
	if err != nil {
		return err
	}
	docs, err := os.ReadDir(*articles)
	if err != nil {
		return err
	}

	workers := runtime.GOMAXPROCS(0)
	before := cpu()
	start := time.Now()
	var read atomic.Int64
	err = parallel(workers, len(docs), func(i int) error {
		b, err := os.ReadFile(filepath.Join(*articles, docs[i].Name()))
		read.Add(int64(len(b)))
		return err
	})
	if err != nil {
		return err
	}
	readDone := time.Now()
	var written atomic.Int64
	err = parallel(workers, len(outputs), func(i int) error {
		name := filepath.Join(*out, outputs[i].rel)
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		written.Add(int64(len(outputs[i].data)))
		return os.WriteFile(name, outputs[i].data, 0o644)
	})
	if err != nil {
		return err
	}
	end := time.Now()
	used := cpu() - before
	fmt.Fprintf(stdout, "read %d documents, %d MB, in %.2f s; wrote %d files, %d MB, in %.2f s; total %.2f s wall, %.2f s CPU\n",
		len(docs), read.Load()>>20, readDone.Sub(start).Seconds(),
		len(outputs), written.Load()>>20, end.Sub(readDone).Seconds(),
		end.Sub(start).Seconds(), used.Seconds())
	return nil
}

// load reads every file of the published site but its internal state.
func load(site, only string) ([]output, error) {
	var outputs []output
	err := filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".feedpub" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, only) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(site, p)
		outputs = append(outputs, output{rel, b})
		return err
	})
	if err == nil && len(outputs) == 0 {
		err = fmt.Errorf("no files to write in %s", site)
	}
	return outputs, err
}

// parallel calls f for 0..n-1, workers at a time, and returns the first
// error.
func parallel(workers, n int, f func(int) error) error {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { return f(i) })
	}
	return g.Wait()
}

// cpu is the user and system time the process has used.
func cpu() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
