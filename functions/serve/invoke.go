package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// invoker starts the build function asynchronously (InvocationType Event):
// the rebuild request returns as soon as Lambda has queued the build.
func invoker(ctx context.Context, function string) (func(context.Context) error, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("serve: aws config: %w", err)
	}
	client := lambda.NewFromConfig(cfg)
	return func(ctx context.Context) error {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:   aws.String(function),
			InvocationType: lambdatypes.InvocationTypeEvent,
			Payload:        []byte(`{"rebuild":"all"}`),
		})
		if err != nil {
			return fmt.Errorf("serve: invoke %s: %w", function, err)
		}
		return nil
	}, nil
}
