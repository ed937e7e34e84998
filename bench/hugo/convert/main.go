// Command convert turns a folder of article documents (bench/corpus) into a
// Hugo site that publishes the same articles as a feedpub build of the same
// folder and site file, for the build benchmark (bench/build.sh):
//
//	go run ./bench/hugo/convert -articles DIR/articles -site bench/site.yaml \
//	  -out SITE -now 2025-06-01T00:00:00Z
//	hugo --source SITE --layoutDir layouts-full --destination OUT   # full text
//	hugo --source SITE --layoutDir layouts-embedded --destination OUT # summaries
//	hugo --source SITE --config hugo.json,three-formats.json --layoutDir layouts-full \
//	  --destination OUT # full text in RSS, Atom and JSON Feed, as feedpub writes them
//
// Documents are read with content.Parse, as the build reads them, in the
// site's time zone. Each published article whose time has come becomes
// SITE/content/posts/<id>.html, and each draft the same with draft: true
// (Hugo leaves drafts out); deleted and embargoed articles and documents
// Parse rejects are skipped. The front matter (JSON) holds the title, date
// (the published time), lastmod (the updated time), categories, tags,
// authors (a taxonomy) and summary (the summary HTML, as feedpub's
// summaries feeds carry it); the rest of the file is the body HTML, which
// Hugo takes as it is (an .html content file is not Markdown; -format md
// writes Markdown files with raw HTML allowed instead).
//
// SITE/hugo.json makes Hugo publish RSS only: the home page (every post),
// the posts section, each taxonomy and each term (category, tag, author),
// limit items a feed as in the site file, no HTML page, sitemap, robots.txt
// or 404 page; posts are in every list but never rendered alone.
// SITE/layouts-full/_default/rss.xml is a full-text RSS template (the body
// in content:encoded, authors, categories and tags, as feedpub's items
// have); SITE/layouts-embedded is empty, so Hugo uses its embedded RSS
// template (summaries in description). SITE/three-formats.json, given after
// hugo.json, adds Atom (atom.xml) and JSON Feed (feed.json) outputs to every
// list page, rendered by layouts-full/_default/list.atom.xml and
// list.jsonfeed.json: Hugo doing the work of a feedpub build, three formats
// a feed.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}

// counts says what became of the documents.
type counts struct {
	Read, Published, Drafts, Deleted, Embargoed, Rejected int
}

func (c *counts) add(o counts) {
	c.Read += o.Read
	c.Published += o.Published
	c.Drafts += o.Drafts
	c.Deleted += o.Deleted
	c.Embargoed += o.Embargoed
	c.Rejected += o.Rejected
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	articles := fs.String("articles", "", "folder of article documents (*.json) (required)")
	siteFile := fs.String("site", "", "feedpub site definition: title, language, time zone, base URL, limit (required)")
	out := fs.String("out", "", "folder to write the Hugo site into; must be empty or absent (required)")
	nowFlag := fs.String("now", "", "RFC 3339 time the build is made at: articles published after it are embargoed (default: now)")
	format := fs.String("format", "html", "content file format: html (the body as it is) or md (Markdown holding raw HTML)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if *articles == "" || *siteFile == "" || *out == "" {
		return errors.New("-articles, -site and -out are required (see -h)")
	}
	if *format != "html" && *format != "md" {
		return fmt.Errorf("-format: html or md, not %q", *format)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("-now: %w", err)
		}
		now = t
	}
	data, err := os.ReadFile(*siteFile)
	if err != nil {
		return err
	}
	site, err := feed.ParseSite(data)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty", *out)
	}
	posts := filepath.Join(*out, "content", "posts")
	for _, dir := range []string{posts, filepath.Join(*out, "layouts-full", "_default"), filepath.Join(*out, "layouts-full", "partials"), filepath.Join(*out, "layouts-embedded")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := writeConfig(*out, site, *format); err != nil {
		return err
	}
	for name, text := range map[string]string{
		"_default/rss.xml": fullTextRSS, "_default/list.atom.xml": fullTextAtom,
		"_default/list.jsonfeed.json": fullTextJSON, "partials/feedpages.html": feedPages,
	} {
		if err := os.WriteFile(filepath.Join(*out, "layouts-full", name), []byte(text), 0o644); err != nil {
			return err
		}
	}

	names, err := filepath.Glob(filepath.Join(*articles, "*.json"))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no *.json documents in %s", *articles)
	}
	start := time.Now()
	total, err := convertAll(names, posts, "."+*format, site.Location, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "convert: %d documents: %d published, %d drafts, %d deleted, %d embargoed, %d rejected, to %s in %s\n",
		total.Read, total.Published, total.Drafts, total.Deleted, total.Embargoed, total.Rejected,
		*out, time.Since(start).Round(time.Millisecond))
	return nil
}

// convertAll converts the documents on GOMAXPROCS goroutines.
func convertAll(names []string, dir, ext string, loc *time.Location, now time.Time) (counts, error) {
	var (
		mu    sync.Mutex
		total counts
		first error
		wg    sync.WaitGroup
	)
	jobs := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c counts
			var buf bytes.Buffer
			var err error
			for name := range jobs {
				if err == nil {
					err = convert(name, dir, ext, loc, now, &c, &buf)
				}
			}
			mu.Lock()
			total.add(c)
			if first == nil {
				first = err
			}
			mu.Unlock()
		}()
	}
	for _, name := range names {
		jobs <- name
	}
	close(jobs)
	wg.Wait()
	return total, first
}

// frontMatter is a post's front matter, in JSON (which Hugo reads when the
// file starts with "{").
type frontMatter struct {
	Title      string   `json:"title"`
	Date       string   `json:"date"`
	Lastmod    string   `json:"lastmod"`
	Draft      bool     `json:"draft,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Authors    []string `json:"authors,omitempty"`
	Summary    string   `json:"summary"`
}

func convert(name, dir, ext string, loc *time.Location, now time.Time, c *counts, buf *bytes.Buffer) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	c.Read++
	a, err := content.Parse(filepath.Base(name), data, loc)
	if err != nil {
		c.Rejected++
		return nil
	}
	switch {
	case a.Status == content.StatusDeleted:
		c.Deleted++
		return nil
	case a.Status == content.StatusDraft:
		c.Drafts++
	case a.Published.After(now):
		c.Embargoed++
		return nil
	default:
		c.Published++
	}
	fm := frontMatter{
		Title:      a.Title,
		Date:       a.Published.Format(time.RFC3339),
		Lastmod:    a.Updated.Format(time.RFC3339),
		Draft:      a.Status == content.StatusDraft,
		Categories: a.Categories,
		Tags:       a.Tags,
		Summary:    a.Summary,
	}
	for _, au := range a.Authors {
		fm.Authors = append(fm.Authors, au.Name)
	}
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fm); err != nil {
		return err
	}
	buf.WriteByte('\n')
	buf.WriteString(a.ContentHTML)
	buf.WriteByte('\n')
	return os.WriteFile(filepath.Join(dir, fileName(a.ID)+ext), buf.Bytes(), 0o644)
}

// fileName is id when it is safe as a file name and a URL path segment,
// else its bytes in hexadecimal.
func fileName(id string) string {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || id[0] == '.' {
			return fmt.Sprintf("x%x", id)
		}
	}
	return id
}

// writeConfig writes SITE/hugo.json.
func writeConfig(out string, site *feed.Site, format string) error {
	base := strings.TrimSuffix(site.BaseURL, "/") + "/"
	cfg := map[string]any{
		"baseURL":      base,
		"title":        site.Title,
		"languageCode": site.Language,
		"timeZone":     site.Location.String(),
		// RSS only: every list page kind has the RSS output alone; regular
		// pages are in the lists but not rendered (_build below); the
		// kinds with nothing to do with feeds are disabled.
		"disableKinds": []string{"sitemap", "robotsTXT", "404"},
		"outputs": map[string][]string{
			"home": {"RSS"}, "section": {"RSS"}, "taxonomy": {"RSS"}, "term": {"RSS"},
		},
		"cascade": []map[string]any{{
			"_target": map[string]string{"kind": "page"},
			"_build":  map[string]string{"render": "link", "list": "always"},
		}},
		"taxonomies": map[string]string{"category": "categories", "tag": "tags", "author": "authors"},
		"services":   map[string]any{"rss": map[string]int{"limit": site.Limit}},
		"author":     map[string]string{"name": site.Author.Name, "email": site.Author.Email},
		"params":     map[string]string{"description": site.Description},
	}
	if format == "md" {
		cfg["markup"] = map[string]any{"goldmark": map[string]any{"renderer": map[string]bool{"unsafe": true}}}
	}
	if err := writeJSON(filepath.Join(out, "hugo.json"), cfg); err != nil {
		return err
	}
	three := []string{"RSS", "Atom", "JSONFeed"}
	return writeJSON(filepath.Join(out, "three-formats.json"), map[string]any{
		"mediaTypes": map[string]any{
			"application/atom+xml":  map[string][]string{"suffixes": {"xml"}},
			"application/feed+json": map[string][]string{"suffixes": {"json"}},
		},
		"outputFormats": map[string]any{
			"Atom":     map[string]any{"mediaType": "application/atom+xml", "baseName": "atom", "rel": "alternate"},
			"JSONFeed": map[string]any{"mediaType": "application/feed+json", "baseName": "feed", "isPlainText": true, "rel": "alternate"},
		},
		"outputs": map[string][]string{"home": three, "section": three, "taxonomy": three, "term": three},
	})
}

func writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// feedPages is the partial the full-text templates start with: the pages of
// a list page's feed as Hugo's embedded RSS template (v0.111) chooses them,
// every regular page of the site or section, or the term's pages, newest
// first, the first limit of them.
const feedPages = `{{- $pctx := . -}}
{{- if .IsHome -}}{{ $pctx = .Site }}{{- end -}}
{{- $pages := slice -}}
{{- if or $.IsHome $.IsSection -}}
{{- $pages = $pctx.RegularPages -}}
{{- else -}}
{{- $pages = $pctx.Pages -}}
{{- end -}}
{{- $limit := .Site.Config.Services.RSS.Limit -}}
{{- if ge $limit 1 -}}
{{- $pages = $pages | first $limit -}}
{{- end -}}
{{- return $pages -}}
`

// fullTextRSS is Hugo's embedded RSS template (v0.111) with, in each item,
// the body in content:encoded, the authors in dc:creator and the categories
// and tags in category, as feedpub's full-text RSS items carry them. Hugo
// v0.111 has no transform.XMLEscape: html escapes the body for XML as the
// embedded template escapes the summary.
const fullTextRSS = `{{- $pages := partial "feedpages.html" . -}}
{{- printf "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>{{ if eq .Title .Site.Title }}{{ .Site.Title }}{{ else }}{{ with .Title }}{{ . }} on {{ end }}{{ .Site.Title }}{{ end }}</title>
    <link>{{ .Permalink }}</link>
    <description>{{ with .Site.Params.description }}{{ . }}{{ else }}Recent content on {{ .Site.Title }}{{ end }}</description>
    <generator>Hugo -- gohugo.io</generator>{{ with .Site.LanguageCode }}
    <language>{{ . }}</language>{{ end }}{{ if not .Date.IsZero }}
    <lastBuildDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</lastBuildDate>{{ end }}
    {{- with .OutputFormats.Get "RSS" }}
    {{ printf "<atom:link href=%q rel=\"self\" type=%q />" .Permalink .MediaType | safeHTML }}
    {{- end }}
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Permalink }}</link>
      <pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <guid>{{ .Permalink }}</guid>
      {{- range .Params.authors }}
      <dc:creator>{{ . }}</dc:creator>
      {{- end }}
      {{- range .Params.categories }}
      <category>{{ . }}</category>
      {{- end }}
      {{- range .Params.tags }}
      <category>{{ . }}</category>
      {{- end }}
      <description>{{ .Summary | html }}</description>
      <content:encoded>{{ .Content | html }}</content:encoded>
    </item>
    {{- end }}
  </channel>
</rss>
`

// fullTextAtom is the Atom feed of a list page with what fullTextRSS puts
// in an item: title, link, dates, authors, categories and tags, the body.
const fullTextAtom = `{{- $pages := partial "feedpages.html" . -}}
{{- printf "<?xml version=\"1.0\" encoding=\"utf-8\"?>" | safeHTML }}
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{{ if eq .Title .Site.Title }}{{ .Site.Title }}{{ else }}{{ with .Title }}{{ . }} on {{ end }}{{ .Site.Title }}{{ end }}</title>
  <id>{{ .Permalink }}</id>
  <updated>{{ .Date.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</updated>
  <generator>Hugo</generator>
  {{- with .OutputFormats.Get "Atom" }}
  {{ printf "<link href=%q rel=\"self\" type=%q />" .Permalink .MediaType | safeHTML }}
  {{- end }}
  {{- range $pages }}
  <entry>
    <title>{{ .Title }}</title>
    <link href="{{ .Permalink }}"/>
    <id>{{ .Permalink }}</id>
    <published>{{ .Date.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</published>
    <updated>{{ .Lastmod.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</updated>
    {{- range .Params.authors }}
    <author><name>{{ . }}</name></author>
    {{- end }}
    {{- range .Params.categories }}
    <category term="{{ . }}"/>
    {{- end }}
    {{- range .Params.tags }}
    <category term="{{ . }}"/>
    {{- end }}
    <content type="html">{{ .Content | html }}</content>
  </entry>
  {{- end }}
</feed>
`

// fullTextJSON is the JSON Feed 1.1 of a list page, with the same fields.
const fullTextJSON = `{{- $pages := partial "feedpages.html" . -}}
{"version":"https://jsonfeed.org/version/1.1","title":{{ .Title | jsonify }},"home_page_url":{{ .Permalink | jsonify }}
{{- with .OutputFormats.Get "JSONFeed" }},"feed_url":{{ .Permalink | jsonify }}{{ end }},"items":[
{{- range $i, $p := $pages }}{{ if $i }},{{ end }}
{"id":{{ $p.Permalink | jsonify }},"url":{{ $p.Permalink | jsonify }},"title":{{ $p.Title | jsonify }},
"date_published":{{ $p.Date.Format "2006-01-02T15:04:05-07:00" | jsonify }},"date_modified":{{ $p.Lastmod.Format "2006-01-02T15:04:05-07:00" | jsonify }},
"authors":[{{ range $j, $a := $p.Params.authors }}{{ if $j }},{{ end }}{"name":{{ $a | jsonify }}}{{ end }}],
"tags":{{ union ($p.Params.categories | default slice) ($p.Params.tags | default slice) | jsonify }},
"content_html":{{ $p.Content | jsonify }}}
{{- end }}]}
`
