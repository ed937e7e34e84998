// Package feedcheck checks feed documents with parsers that are not ours,
// for the tests of every package that produces feeds.
package feedcheck

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/net/html"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// ErrNoXMLLint says that xmllint is not installed.
var ErrNoXMLLint = errors.New("xmllint not found: install libxml2-utils (make test does)")

// WellFormed reads every token of an XML document with encoding/xml in
// strict mode, and checks that there is exactly one root element.
func WellFormed(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("encoding/xml (strict): %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("encoding/xml (strict): got %d root elements (depth %d at the end), want 1", roots, depth)
	}
	return nil
}

// Lint has libxml2 read body (`xmllint --noout -`): an error says what it
// found, and anything it prints counts as a finding.
func Lint(body []byte) error {
	path, err := exec.LookPath("xmllint")
	if err != nil {
		return ErrNoXMLLint
	}
	cmd := exec.Command(path, "--noout", "-")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		return fmt.Errorf("xmllint: %v: %s", err, out)
	}
	return nil
}

// IndexLinks parses an HTML page with golang.org/x/net/html and returns its
// <link rel="alternate"> hrefs by media type, and the href of every <a>.
func IndexLinks(page []byte) (alternates map[string][]string, anchors []string, err error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, nil, fmt.Errorf("html: %w", err)
	}
	alternates = map[string][]string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
			}
			switch {
			case n.Data == "link" && attrs["rel"] == "alternate":
				alternates[attrs["type"]] = append(alternates[attrs["type"]], attrs["href"])
			case n.Data == "a":
				anchors = append(anchors, attrs["href"])
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return alternates, anchors, nil
}

// Files returns every file below dir, by slash-separated name, as a build
// left it there.
func Files(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	return files, err
}

// Published is Files without the builder's internal state (the dot-folder
// layout.StateDir), which is never served: what a build published.
func Published(dir string) (map[string][]byte, error) {
	files, err := Files(dir)
	for key := range files {
		if strings.HasPrefix(key, layout.StateDir) {
			delete(files, key)
		}
	}
	return files, err
}

// Store is what Site reads a published site from: any store.
type Store interface {
	List(ctx context.Context, prefix string) ([]store.Info, error)
	Get(ctx context.Context, key string) (*store.Object, error)
}

// Site returns every object of a store that readers are served (the feeds
// and the pages; neither the report nor internal state), by key.
func Site(ctx context.Context, s Store) (map[string][]byte, error) {
	infos, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, in := range infos {
		if !layout.Served(in.Key) {
			continue
		}
		o, err := s.Get(ctx, in.Key)
		if err != nil {
			return nil, err
		}
		out[in.Key] = o.Body
	}
	return out, nil
}

// Manifest is a published site's manifest read whole: its root and the
// entries of every shard it names.
type Manifest struct {
	manifest.Root
	Objects map[string]*manifest.Object
}

// Files is a set of files by key (as Files returns them) read as a store.
type filesStore map[string][]byte

func (f filesStore) Get(_ context.Context, key string) (*store.Object, error) {
	b, ok := f[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, store.ErrNotFound)
	}
	return &store.Object{Key: key, Body: b}, nil
}

// ReadManifest reads the manifest of the site in files (by key, as Files
// returns them), checking that every shard its root names is there and
// is the bytes its name promises.
func ReadManifest(files map[string][]byte) (*Manifest, error) {
	ctx := context.Background()
	m, err := manifest.Read(ctx, filesStore(files))
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("%s: missing or unreadable", layout.Manifest)
	}
	all, err := m.All(ctx)
	if err != nil {
		return nil, err
	}
	return &Manifest{Root: m.Root, Objects: all}, nil
}
