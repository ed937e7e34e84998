package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	gen "github.com/feedpub/feedpub/content/corpus"
	"github.com/feedpub/feedpub/feed/publish"
)

// benchSite is bench/site.yaml's site: every feed set, full text, the
// default item limit; hugo adds what makes it Hugo's work (feeds only).
const benchSite = `title: Bench News 基准新闻
description: A generated news site for benchmarks.
url: https://news.example.com/
base_url: https://feeds.example.com
language: en
time_zone: Asia/Shanghai
author: {name: Bench Desk, email: desk@example.com}
limit: 50
full_text: true
feeds: {site: true, categories: true, tags: true, tag_min_articles: 1, authors: true}
`

const hugoWork = `precompress: []
archives: {site: none, category: none, tag: none, author: none}
previews: false
deltas: 0
`

// BenchmarkBuild builds 5,000 generated articles from scratch into a new
// folder: with Hugo's work (feeds only) and with every default (variants,
// archives, previews, deltas). Its allocations are what the collector
// works for; `make bench` times the 100,000-article builds as processes.
func BenchmarkBuild(b *testing.B) {
	dir := b.TempDir()
	articles := filepath.Join(dir, "articles")
	opts := gen.Options{N: 5000, Seed: 1}
	if err := gen.Generate(opts, func(key string, body []byte) error {
		p := filepath.Join(articles, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, body, 0o644)
	}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, site string }{
		{"work=hugo", benchSite + hugoWork},
		{"work=defaults", benchSite},
	} {
		b.Run(c.name, func(b *testing.B) {
			site := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(site, []byte(c.site), 0o644); err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				n++
				out := filepath.Join(dir, c.name, strconv.Itoa(n))
				bl, err := publish.Open(context.Background(), filepath.Join(articles, gen.DefaultPrefix), site, out, "")
				if err != nil {
					b.Fatal(err)
				}
				bl.Now = gen.DefaultNow
				if _, err := bl.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = os.RemoveAll(out)
				b.StartTimer()
			}
		})
	}
}
