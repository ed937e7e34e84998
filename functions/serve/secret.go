package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The two ways to give the key that signs POST /rebuild requests.
const (
	// secretEnv holds the key itself: for local runs and tests.
	secretEnv = "FEEDPUB_REBUILD_SECRET"
	// secretParameterEnv names an SSM Parameter Store SecureString that
	// holds it: what the deployed function gets (infra/template.yaml), so
	// that the key is in no environment variable, template or stack.
	secretParameterEnv = "FEEDPUB_REBUILD_SECRET_PARAMETER"
)

// minParameterSecret is the shortest key accepted from Parameter Store, as
// infra/README.md asks for (openssl rand -hex 32).
const minParameterSecret = 32

// rebuildSecret returns the key that signs POST /rebuild requests, or nil
// when neither variable is set (rebuilds are off). The parameter is read
// once, at cold start: the caller keeps the key for the life of the
// process. No error it returns holds the key.
func rebuildSecret(ctx context.Context) ([]byte, error) {
	direct, name := os.Getenv(secretEnv), os.Getenv(secretParameterEnv)
	switch {
	case direct != "" && name != "":
		return nil, fmt.Errorf("rebuild secret: set %s or %s, not both", secretEnv, secretParameterEnv)
	case direct != "":
		return []byte(direct), nil
	case name == "":
		return nil, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("rebuild secret: aws config: %w", err)
	}
	return readSecureString(ctx, ssm.NewFromConfig(cfg), name)
}

// parameterGetter is the one call of the SSM client that readSecureString
// makes.
type parameterGetter interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// readSecureString reads the SecureString parameter name, decrypted. A
// parameter of another type is refused: a plain String is stored
// unencrypted and shown to anyone who may describe parameters.
func readSecureString(ctx context.Context, client parameterGetter, name string) ([]byte, error) {
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &notFound):
		return nil, fmt.Errorf("rebuild secret: ssm parameter %s does not exist (create it as a SecureString, see infra/README.md): %w", name, err)
	case err != nil:
		return nil, fmt.Errorf("rebuild secret: ssm parameter %s: %w", name, err)
	case out.Parameter == nil || out.Parameter.Value == nil:
		return nil, fmt.Errorf("rebuild secret: ssm parameter %s: no value in the answer", name)
	case out.Parameter.Type != ssmtypes.ParameterTypeSecureString:
		return nil, fmt.Errorf("rebuild secret: ssm parameter %s is a %s, want a SecureString", name, out.Parameter.Type)
	case len(*out.Parameter.Value) < minParameterSecret:
		return nil, fmt.Errorf("rebuild secret: ssm parameter %s: shorter than %d characters", name, minParameterSecret)
	}
	return []byte(*out.Parameter.Value), nil
}
