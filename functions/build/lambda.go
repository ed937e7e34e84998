package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

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
			if b.FanOut, err = fanOut(ctx); err != nil {
				return nil, err
			}
			if os.Getenv("FEEDPUB_ALLOW_RETRACTION") == "1" {
				b.MaxRetraction = -1
			}
			return b.Run(ctx)
		},
	}
	// A worker renders batches of feeds for builds that fan out.
	h.Work = func(ctx context.Context, msg []byte) error {
		b, err := configure(ctx, os.Getenv("FEEDPUB_ARTICLES"), os.Getenv("FEEDPUB_SITE"),
			os.Getenv("FEEDPUB_OUT"), os.Getenv("FEEDPUB_BASE_URL"), os.Getenv("FEEDPUB_NOW"))
		if err != nil {
			return err
		}
		return b.Work(ctx, msg)
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

// fanOut configures fan-out from FEEDPUB_FANOUT_QUEUE (the workers' SQS
// queue URL; unset: every build renders in place), FEEDPUB_FANOUT_ABOVE
// (feeds to render past which a build fans out; default 500) and
// FEEDPUB_FANOUT_BATCH (feeds a message; default 100).
func fanOut(ctx context.Context) (*publish.FanOut, error) {
	queue := os.Getenv("FEEDPUB_FANOUT_QUEUE")
	if queue == "" {
		return nil, nil
	}
	above, batch := 500, 100
	for _, v := range []struct {
		name string
		to   *int
	}{{"FEEDPUB_FANOUT_ABOVE", &above}, {"FEEDPUB_FANOUT_BATCH", &batch}} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: %q is not a number of feeds", v.name, s)
			}
			*v.to = n
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("fan-out: aws config: %w", err)
	}
	client := sqs.NewFromConfig(cfg)
	return &publish.FanOut{Above: above, Batch: batch, Send: func(ctx context.Context, body []byte) error {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(string(body))})
		return err
	}}, nil
}
