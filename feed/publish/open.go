package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
)

// Open prepares a build from locations, as the commands and functions take
// them: articles and out are folders or s3://bucket/prefix, siteFile a path
// or an s3:// key; baseURL, when set, overrides the site file's base_url.
func Open(ctx context.Context, articles, siteFile, out, baseURL string) (*Build, error) {
	for _, f := range []struct{ name, value string }{{"articles", articles}, {"site", siteFile}, {"out", out}} {
		if f.value == "" {
			return nil, fmt.Errorf("publish: no %s location given", f.name)
		}
	}
	data, err := store.ReadFile(ctx, siteFile)
	if err != nil {
		return nil, err
	}
	site, err := feed.ParseSite(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", siteFile, err)
	}
	if baseURL != "" {
		site.BaseURL = strings.TrimRight(baseURL, "/")
	}
	b := &Build{Site: site}
	if b.Articles, err = store.Open(ctx, articles); err != nil {
		return nil, err
	}
	if b.Out, err = store.Open(ctx, out); err != nil {
		return nil, err
	}
	return b, nil
}
