package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/trigger"
)

// runLambda serves the build function's events: schedules, S3 and SQS
// notifications, direct rebuilds. Configuration comes from the FEEDPUB_*
// variables, read on every invocation so that a changed site file applies
// without a deploy.
func runLambda() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(log)
	h := &trigger.Handler{
		ArticlePrefix: articlePrefix(os.Getenv("FEEDPUB_ARTICLES")),
		Log:           log,
		Build: func(ctx context.Context, job trigger.Job) (*publish.Report, error) {
			// FEEDPUB_NOW sets the build's clock: tests drive embargoes with it.
			b, err := configure(ctx, os.Getenv("FEEDPUB_ARTICLES"), os.Getenv("FEEDPUB_SITE"),
				os.Getenv("FEEDPUB_OUT"), os.Getenv("FEEDPUB_BASE_URL"), os.Getenv("FEEDPUB_NOW"))
			if err != nil {
				return nil, err
			}
			b.Keys, b.Full = job.Keys, job.Full
			if os.Getenv("FEEDPUB_ALLOW_RETRACTION") == "1" {
				b.MaxRetraction = -1
			}
			return b.Run(ctx)
		},
	}
	lambda.StartHandlerFunc(func(ctx context.Context, event json.RawMessage) (any, error) {
		return h.Handle(ctx, event)
	})
}

// articlePrefix is the key prefix S3 notifications carry for article
// documents: "articles/" for s3://bucket/articles.
func articlePrefix(location string) string {
	rest, ok := strings.CutPrefix(location, "s3://")
	if !ok {
		return ""
	}
	_, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}
