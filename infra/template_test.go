package infra

// These tests read template.yaml as CloudFormation would deploy it: the
// template's short-form tags are expanded by goformation, its intrinsic
// functions (Ref, Fn::GetAtt, Fn::Sub, Fn::If, ...) are resolved against a
// simulated stack (below: fixed account, region and stack name, physical
// names and ARNs derived from each resource's name property or logical ID),
// and the result is parsed again into goformation's typed structs, whose
// strict decoding rejects a misspelt property name.
//
// goformation.Open cannot read the file as written: its own intrinsic
// handlers resolve resource references to nothing (so no ARN could be
// compared), and v7.14.9's structs lack newer properties such as
// LoggingConfig (see newerThanGoformation), which its strict decoding
// rejects. Properties its structs do not model at all (an SQS event's
// FunctionResponseTypes, say) are read from the resolved tree.
//
// Resolving rather than pattern-matching the YAML is what lets the tests
// compare across resources: the ARN a policy grants is the ARN of the bucket
// the function's environment names, the queue policy's source is the
// content bucket, the origin is the function URL's host.

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// The simulated stack.
const (
	account   = "123456789012"
	region    = "eu-west-1"
	stackName = "feedpub"
	// testSecret stands for the RebuildSecret given at deploy time.
	testSecret = "test-rebuild-secret-0123456789abcdef"
)

// Managed CloudFront policies the /rebuild behaviour uses.
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

var functions = []string{"BuildFunction", "WorkerFunction", "ServeFunction"}

// newerThanGoformation lists properties that goformation v7.14.9's generated
// structs predate: its strict decoding would reject them, so they are
// removed before the typed parse and checked on the resolved tree instead.
var newerThanGoformation = map[string][]string{
	"AWS::Serverless::Function": {"LoggingConfig"},
	"AWS::Lambda::Permission":   {"InvokedViaFunctionUrl"},
}

// stack is template.yaml deployed with one set of parameter values.
type stack struct {
	tpl     map[string]any // long-form intrinsics, unresolved
	params  map[string]any
	res     map[string]map[string]any // resolved resources by logical ID
	outputs map[string]any            // resolved output values by name
	typed   *cloudformation.Template
}

// load deploys template.yaml in simulation with RebuildSecret=testSecret
// and the given parameter values.
func load(t *testing.T, params map[string]string) *stack {
	t.Helper()
	s, err := deploy(params)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func deploy(params map[string]string) (*stack, error) {
	data, err := os.ReadFile("template.yaml")
	if err != nil {
		return nil, err
	}
	long, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("template.yaml: %w", err)
	}
	s := &stack{params: map[string]any{}, res: map[string]map[string]any{}, outputs: map[string]any{}}
	if err := json.Unmarshal(long, &s.tpl); err != nil {
		return nil, err
	}
	given := map[string]string{"RebuildSecret": testSecret}
	for k, v := range params {
		given[k] = v
	}
	if err := s.setParameters(given); err != nil {
		return nil, err
	}
	resources, _ := s.tpl["Resources"].(map[string]any)
	if len(resources) == 0 {
		return nil, errors.New("template.yaml: no Resources")
	}
	for id, r := range resources {
		v, err := s.resolve(r)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", id, err)
		}
		s.res[id] = v.(map[string]any)
	}
	outputs, _ := s.tpl["Outputs"].(map[string]any)
	for name, o := range outputs {
		v, err := s.resolve(dig(o, "Value"))
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		s.outputs[name] = v
	}
	if s.typed, err = s.parseTyped(); err != nil {
		return nil, fmt.Errorf("goformation: %w", err)
	}
	return s, nil
}

// setParameters checks each value against its parameter's constraints, as
// CloudFormation does before it creates anything.
func (s *stack) setParameters(given map[string]string) error {
	defs, _ := s.tpl["Parameters"].(map[string]any)
	for name := range given {
		if defs[name] == nil {
			return fmt.Errorf("parameter %s: not in the template", name)
		}
	}
	for name, d := range defs {
		def := d.(map[string]any)
		var text string
		if v, ok := given[name]; ok {
			text = v
		} else if v, ok := def["Default"]; ok {
			text = scalar(v)
		} else {
			return fmt.Errorf("parameter %s: no value and no default", name)
		}
		if p, ok := def["AllowedPattern"].(string); ok {
			re, err := regexp.Compile(`^(?:` + p + `)$`)
			if err != nil {
				return fmt.Errorf("parameter %s: AllowedPattern: %w", name, err)
			}
			if !re.MatchString(text) {
				return fmt.Errorf("parameter %s: %q does not match %s", name, text, p)
			}
		}
		if allowed, ok := def["AllowedValues"].([]any); ok {
			if !slices.ContainsFunc(allowed, func(a any) bool { return scalar(a) == text }) {
				return fmt.Errorf("parameter %s: %q is not an allowed value", name, text)
			}
		}
		if n, ok := def["MinLength"].(float64); ok && len(text) < int(n) {
			return fmt.Errorf("parameter %s: shorter than MinLength %v", name, n)
		}
		if def["Type"] == "Number" {
			f, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return fmt.Errorf("parameter %s: %q is not a number", name, text)
			}
			s.params[name] = f
			continue
		}
		s.params[name] = text
	}
	return nil
}

// parseTyped hands the resolved template to goformation.
func (s *stack) parseTyped() (*cloudformation.Template, error) {
	resources := map[string]any{}
	for id, r := range s.res {
		r = deepCopy(r).(map[string]any)
		if props, ok := r["Properties"].(map[string]any); ok {
			for _, p := range newerThanGoformation[r["Type"].(string)] {
				delete(props, p)
			}
		}
		resources[id] = r
	}
	outputs := map[string]any{}
	for name, v := range s.outputs {
		outputs[name] = map[string]any{"Value": v}
	}
	doc := map[string]any{
		"AWSTemplateFormatVersion": s.tpl["AWSTemplateFormatVersion"],
		"Transform":                s.tpl["Transform"],
		"Parameters":               s.tpl["Parameters"],
		"Conditions":               s.tpl["Conditions"],
		"Resources":                resources,
		"Outputs":                  outputs,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return goformation.ParseJSONWithOptions(b, &intrinsics.ProcessorOptions{NoProcess: true})
}

// ---------------------------------------------------------------- simulation

type absent struct{}

// noValue is what AWS::NoValue resolves to: the key or element is dropped.
var noValue = &absent{}

func (s *stack) resolve(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for fn, arg := range v {
				if fn == "Ref" || strings.HasPrefix(fn, "Fn::") {
					return s.intrinsic(fn, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := s.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if r != noValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, e := range v {
			r, err := s.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if r != noValue {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

func (s *stack) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref %v: not a name", arg)
		}
		return s.ref(name)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case string:
			id, attr, _ = strings.Cut(a, ".")
		case []any:
			if len(a) == 2 {
				id, attr = scalar(a[0]), scalar(a[1])
			}
		}
		return s.getAtt(id, attr)
	case "Fn::Sub":
		return s.sub(arg)
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fmt.Errorf("Fn::If %v: want [condition, then, else]", arg)
		}
		c, err := s.condition(scalar(a[0]))
		if err != nil {
			return nil, err
		}
		if c {
			return s.resolve(a[1])
		}
		return s.resolve(a[2])
	}
	// The rest take resolved arguments.
	r, err := s.resolve(arg)
	if err != nil {
		return nil, err
	}
	a, _ := r.([]any)
	switch fn {
	case "Fn::Select":
		if len(a) == 2 {
			i, err := strconv.Atoi(scalar(a[0]))
			list, ok := a[1].([]any)
			if err == nil && ok && i >= 0 && i < len(list) {
				return list[i], nil
			}
		}
		return nil, fmt.Errorf("Fn::Select %v: no such element", r)
	case "Fn::Split":
		if len(a) == 2 {
			var out []any
			for _, p := range strings.Split(scalar(a[1]), scalar(a[0])) {
				out = append(out, p)
			}
			return out, nil
		}
	case "Fn::Join":
		if list, ok := a[1].([]any); len(a) == 2 && ok {
			parts := make([]string, len(list))
			for i, p := range list {
				parts[i] = scalar(p)
			}
			return strings.Join(parts, scalar(a[0])), nil
		}
	case "Fn::Equals":
		if len(a) == 2 {
			return scalar(a[0]) == scalar(a[1]), nil
		}
	case "Fn::Not":
		if b, ok := a[0].(bool); len(a) == 1 && ok {
			return !b, nil
		}
	}
	return nil, fmt.Errorf("%s %v: not simulated (extend the simulation in template_test.go)", fn, arg)
}

func (s *stack) condition(name string) (bool, error) {
	expr := dig(s.tpl, "Conditions", name)
	if expr == nil {
		return false, fmt.Errorf("condition %s: not in the template", name)
	}
	v, err := s.resolve(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s: %v is not a boolean", name, v)
	}
	return b, nil
}

func (s *stack) ref(name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return account, nil
	case "AWS::Region":
		return region, nil
	case "AWS::StackName":
		return stackName, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue, nil
	}
	if v, ok := s.params[name]; ok {
		return v, nil
	}
	switch s.typeOf(name) {
	case "":
		return nil, fmt.Errorf("Ref %s: no such parameter or resource", name)
	case "AWS::SQS::Queue":
		n, err := s.physical(name)
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, account, n), err
	case "AWS::SNS::Topic":
		return s.arn(name)
	}
	return s.physical(name)
}

func (s *stack) getAtt(id, attr string) (any, error) {
	// SAM adds <Function>Url for a function with a FunctionUrlConfig.
	if fn, ok := strings.CutSuffix(id, "Url"); ok && s.typeOf(id) == "" &&
		s.typeOf(fn) == "AWS::Serverless::Function" && dig(s.tpl, "Resources", fn, "Properties", "FunctionUrlConfig") != nil {
		switch attr {
		case "FunctionUrl":
			return functionURL(fn), nil
		case "FunctionArn":
			return s.arn(fn)
		}
	}
	typ := s.typeOf(id)
	switch {
	case typ == "":
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	case attr == "Arn":
		return s.arn(id)
	case attr == "QueueName" && typ == "AWS::SQS::Queue",
		attr == "Id" && strings.HasPrefix(typ, "AWS::CloudFront::"):
		return s.physical(id)
	case attr == "DomainName" && typ == "AWS::CloudFront::Distribution":
		n, err := s.physical(id)
		return n + ".cloudfront.net", err
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s: not simulated (extend the simulation in template_test.go)", id, attr)
}

var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

func (s *stack) sub(arg any) (any, error) {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		m, ok := a[1].(map[string]any)
		if len(a) != 2 || !ok {
			return nil, fmt.Errorf("Fn::Sub %v: want [text, variables]", arg)
		}
		text = scalar(a[0])
		for k, v := range m {
			r, err := s.resolve(v)
			if err != nil {
				return nil, err
			}
			vars[k] = r
		}
	default:
		return nil, fmt.Errorf("Fn::Sub %v: want text", arg)
	}
	var errs []error
	out := subVariable.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if literal, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + literal + "}"
		}
		v, ok := vars[name]
		var err error
		if !ok {
			if id, attr, dotted := strings.Cut(name, "."); dotted {
				v, err = s.getAtt(id, attr)
			} else {
				v, err = s.ref(name)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
		return scalar(v)
	})
	return out, errors.Join(errs...)
}

func (s *stack) typeOf(id string) string {
	typ, _ := dig(s.tpl, "Resources", id, "Type").(string)
	return typ
}

// nameProperty is the property that names a resource, where it has one.
var nameProperty = map[string]string{
	"AWS::S3::Bucket":           "BucketName",
	"AWS::Serverless::Function": "FunctionName",
	"AWS::Lambda::Function":     "FunctionName",
	"AWS::SQS::Queue":           "QueueName",
	"AWS::SNS::Topic":           "TopicName",
	"AWS::Logs::LogGroup":       "LogGroupName",
}

// physical returns a resource's name: its name property, else one made up
// from the stack name and logical ID as CloudFormation does.
func (s *stack) physical(id string) (string, error) {
	if p, ok := nameProperty[s.typeOf(id)]; ok {
		if v := dig(s.tpl, "Resources", id, "Properties", p); v != nil {
			r, err := s.resolve(v)
			if err != nil {
				return "", fmt.Errorf("%s.%s: %w", id, p, err)
			}
			return scalar(r), nil
		}
	}
	return strings.ToLower(stackName + "-" + id + "-generated"), nil
}

func (s *stack) arn(id string) (string, error) {
	n, err := s.physical(id)
	if err != nil {
		return "", err
	}
	switch s.typeOf(id) {
	case "AWS::S3::Bucket":
		return "arn:aws:s3:::" + n, nil
	case "AWS::SQS::Queue":
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, n), nil
	case "AWS::Serverless::Function", "AWS::Lambda::Function":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, n), nil
	case "AWS::SNS::Topic":
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, n), nil
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, account, n), nil
	case "AWS::CloudFront::Distribution":
		return fmt.Sprintf("arn:aws:cloudfront::%s:distribution/%s", account, n), nil
	}
	return "", fmt.Errorf("Fn::GetAtt %s.Arn: not simulated for %s", id, s.typeOf(id))
}

func functionURL(fn string) string {
	return "https://" + strings.ToLower(fn) + "-urlid.lambda-url." + region + ".on.aws/"
}

// mustARN and mustName are for resources the tests themselves name: a
// failure is a resource missing from the template.
func (s *stack) mustARN(t *testing.T, id string) string {
	t.Helper()
	v, err := s.arn(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (s *stack) mustName(t *testing.T, id string) string {
	t.Helper()
	if s.typeOf(id) == "" {
		t.Fatalf("no resource %s in template.yaml", id)
	}
	v, err := s.physical(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (s *stack) props(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := s.res[id]
	if !ok {
		t.Fatalf("no resource %s in template.yaml", id)
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

func (s *stack) ofType(typ string) []string {
	var ids []string
	for id, r := range s.res {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (s *stack) function(t *testing.T, id string) *serverless.Function {
	t.Helper()
	f, err := s.typed.GetServerlessFunctionWithName(id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ---------------------------------------------------------------- tests

func TestTemplateParses(t *testing.T) {
	s := load(t, nil)
	if s.typed.Transform == nil || s.typed.Transform.String == nil || *s.typed.Transform.String != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform: got %v, want AWS::Serverless-2016-10-31", s.typed.Transform)
	}
	if got, want := len(s.typed.Resources), len(s.res); got != want || got < 15 {
		t.Errorf("goformation read %d resources, want %d (at least 15)", got, want)
	}
}

func TestParameterConstraints(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		ok     bool
	}{
		{"defaults", nil, true},
		{"custom domain", map[string]string{"PublicBaseURL": "https://feeds.example.com"}, true},
		{"alarm email", map[string]string{"AlarmEmail": "ops@example.com"}, true},
		{"hourly cron", map[string]string{"ScheduleRate": "cron(0 * * * ? *)"}, true},
		{"short rebuild secret", map[string]string{"RebuildSecret": "too-short"}, false},
		{"plain http base URL", map[string]string{"PublicBaseURL": "http://feeds.example.com"}, false},
		{"not a schedule", map[string]string{"ScheduleRate": "every 5 minutes"}, false},
		{"retention CloudWatch lacks", map[string]string{"LogRetentionDays": "31"}, false},
		{"not an address", map[string]string{"AlarmEmail": "ops"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deploy(tt.params)
			if got := err == nil; got != tt.ok {
				t.Errorf("deploy(%v): got error %v, want ok=%v", tt.params, err, tt.ok)
			}
		})
	}
	t.Run("rebuild secret", func(t *testing.T) {
		p, ok := load(t, nil).typed.Parameters["RebuildSecret"]
		if !ok {
			t.Fatal("no RebuildSecret parameter")
		}
		if p.NoEcho == nil || !*p.NoEcho {
			t.Error("RebuildSecret: NoEcho is not true")
		}
		if p.MinLength == nil || *p.MinLength < 32 {
			t.Errorf("RebuildSecret: MinLength %v, want at least 32", p.MinLength)
		}
		if p.Default != nil {
			t.Error("RebuildSecret has a default: a secret must be given at deploy time")
		}
	})
}

func TestFunctions(t *testing.T) {
	s := load(t, nil)
	for _, id := range functions {
		t.Run(id, func(t *testing.T) {
			f := s.function(t, id)
			if got := deref(f.Runtime); got != "provided.al2023" {
				t.Errorf("Runtime: got %q, want provided.al2023", got)
			}
			if !reflect.DeepEqual(f.Architectures, []string{"arm64"}) {
				t.Errorf("Architectures: got %v, want [arm64]", f.Architectures)
			}
			if got := deref(f.Handler); got != "bootstrap" {
				t.Errorf("Handler: got %q, want bootstrap", got)
			}
			if got := f.AWSCloudFormationMetadata["BuildMethod"]; got != "makefile" {
				t.Errorf("Metadata BuildMethod: got %v, want makefile", got)
			}
			if f.CodeUri == nil || f.CodeUri.String == nil {
				t.Fatal("CodeUri: want the folder holding the Makefile")
			}
			if _, err := os.Stat(filepath.Join(*f.CodeUri.String, "Makefile")); err != nil {
				t.Errorf("CodeUri %s: sam build runs its Makefile: %v", *f.CodeUri.String, err)
			}
		})
	}
}

// TestMakefileBuildsBootstraps runs what `sam build` runs for each function
// (make build-<ID> with ARTIFACTS_DIR set, in the CodeUri folder) and checks
// the binary it leaves: a static linux/arm64 executable named bootstrap,
// built from the function's own package with the lambda.norpc tag.
func TestMakefileBuildsBootstraps(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatal("make not found: install make (Debian: apt-get install make)")
	}
	s := load(t, nil)
	packages := map[string]string{
		"BuildFunction":  "github.com/feedpub/feedpub/functions/build",
		"WorkerFunction": "github.com/feedpub/feedpub/functions/build",
		"ServeFunction":  "github.com/feedpub/feedpub/functions/serve",
	}
	for _, id := range functions {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			dir := *s.function(t, id).CodeUri.String
			artifacts := t.TempDir()
			cmd := exec.Command(makeBin, "-C", dir, "build-"+id, "ARTIFACTS_DIR="+artifacts)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, out)
			}
			bin := filepath.Join(artifacts, "bootstrap")
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 {
				t.Errorf("bootstrap: got %v %v, want ELFCLASS64 EM_AARCH64", f.Class, f.Machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Error("bootstrap is dynamically linked, want static (CGO_ENABLED=0)")
				}
			}
			info, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
			if info.Path != packages[id] {
				t.Errorf("bootstrap built from %s, want %s", info.Path, packages[id])
			}
			settings := map[string]string{}
			for _, kv := range info.Settings {
				settings[kv.Key] = kv.Value
			}
			for k, want := range map[string]string{"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0", "-tags": "lambda.norpc", "-trimpath": "true"} {
				if got := settings[k]; got != want {
					t.Errorf("build setting %s: got %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestBuildTriggers(t *testing.T) {
	t.Run("schedule follows ScheduleRate", func(t *testing.T) {
		for _, rate := range []string{"rate(5 minutes)", "rate(1 hour)"} {
			s := load(t, map[string]string{"ScheduleRate": rate})
			var schedules []string
			for name, e := range s.function(t, "BuildFunction").Events {
				if e.Type == "Schedule" {
					if e.Properties == nil || e.Properties.ScheduleEvent == nil {
						t.Fatalf("event %s: not a Schedule event goformation can read", name)
					}
					schedules = append(schedules, e.Properties.ScheduleEvent.Schedule)
				}
			}
			if !reflect.DeepEqual(schedules, []string{rate}) {
				t.Errorf("ScheduleRate %s: got schedules %q, want [%s]", rate, schedules, rate)
			}
		}
	})

	s := load(t, nil)
	build := s.function(t, "BuildFunction")
	t.Run("one build at a time", func(t *testing.T) {
		if build.ReservedConcurrentExecutions == nil || *build.ReservedConcurrentExecutions != 1 {
			t.Errorf("ReservedConcurrentExecutions: got %v, want 1", build.ReservedConcurrentExecutions)
		}
	})

	var sqs []map[string]any
	for _, e := range dig(s.props(t, "BuildFunction"), "Events").(map[string]any) {
		if dig(e, "Type") == "SQS" {
			sqs = append(sqs, dig(e, "Properties").(map[string]any))
		}
	}
	if len(sqs) != 1 {
		t.Fatalf("BuildFunction: got %d SQS events, want 1", len(sqs))
	}
	ev := sqs[0]
	t.Run("sqs event", func(t *testing.T) {
		if got, want := ev["Queue"], s.mustARN(t, "BuildQueue"); got != want {
			t.Errorf("Queue: got %v, want %s", got, want)
		}
		if got, _ := ev["FunctionResponseTypes"].([]any); !slices.Contains(got, any("ReportBatchItemFailures")) {
			t.Errorf("FunctionResponseTypes: got %v, want ReportBatchItemFailures", got)
		}
		if w, _ := ev["MaximumBatchingWindowInSeconds"].(float64); w < 1 || w > 300 {
			t.Errorf("MaximumBatchingWindowInSeconds: got %v, want 1..300 (bursts become one build)", ev["MaximumBatchingWindowInSeconds"])
		}
		if n, _ := ev["BatchSize"].(float64); n < 10 || n > 10000 {
			t.Errorf("BatchSize: got %v, want 10..10000", ev["BatchSize"])
		}
		// MaximumConcurrency is at least 2: more than the one reserved execution.
		if _, ok := ev["ScalingConfig"]; ok {
			t.Error("ScalingConfig: set, but its minimum exceeds ReservedConcurrentExecutions 1")
		}
	})

	t.Run("queue", func(t *testing.T) {
		q, err := s.typed.GetSQSQueueWithName("BuildQueue")
		if err != nil {
			t.Fatal(err)
		}
		if q.VisibilityTimeout == nil || build.Timeout == nil || *q.VisibilityTimeout < 6**build.Timeout {
			t.Errorf("BuildQueue VisibilityTimeout %v: want at least 6 x BuildFunction Timeout %v", deref(q.VisibilityTimeout), deref(build.Timeout))
		}
		redrive, _ := q.RedrivePolicy.(map[string]any)
		if got, want := redrive["deadLetterTargetArn"], s.mustARN(t, "BuildDeadLetterQueue"); got != want {
			t.Errorf("RedrivePolicy deadLetterTargetArn: got %v, want %s", got, want)
		}
		if n, _ := redrive["maxReceiveCount"].(float64); n < 5 {
			t.Errorf("RedrivePolicy maxReceiveCount: got %v, want at least 5", redrive["maxReceiveCount"])
		}
		dlq, err := s.typed.GetSQSQueueWithName("BuildDeadLetterQueue")
		if err != nil {
			t.Fatal(err)
		}
		// A dead letter keeps its first enqueue time: a shorter retention
		// would drop it before anyone looks.
		if deref(dlq.MessageRetentionPeriod) <= deref(q.MessageRetentionPeriod) {
			t.Errorf("dead-letter retention %d s: want longer than BuildQueue's %d s", deref(dlq.MessageRetentionPeriod), deref(q.MessageRetentionPeriod))
		}
	})

	t.Run("article notifications", func(t *testing.T) {
		bucket, err := s.typed.GetS3BucketWithName("ContentBucket")
		if err != nil {
			t.Fatal(err)
		}
		if bucket.NotificationConfiguration == nil {
			t.Fatal("ContentBucket: no NotificationConfiguration")
		}
		prefix := articlePrefix(dig(s.props(t, "BuildFunction"), "Environment", "Variables", "FEEDPUB_ARTICLES"))
		if prefix == "" {
			t.Fatal("FEEDPUB_ARTICLES names no prefix under the bucket")
		}
		events := map[string]bool{}
		for _, c := range bucket.NotificationConfiguration.QueueConfigurations {
			events[c.Event] = true
			if want := s.mustARN(t, "BuildQueue"); c.Queue != want {
				t.Errorf("%s: queue %s, want %s", c.Event, c.Queue, want)
			}
			rules := map[string]string{}
			if c.Filter != nil && c.Filter.S3Key != nil {
				for _, r := range c.Filter.S3Key.Rules {
					rules[strings.ToLower(r.Name)] = r.Value
				}
			}
			if want := map[string]string{"prefix": prefix, "suffix": ".json"}; !reflect.DeepEqual(rules, want) {
				t.Errorf("%s: filter %v, want %v (FEEDPUB_ARTICLES's prefix)", c.Event, rules, want)
			}
		}
		for _, want := range []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"} {
			if !events[want] {
				t.Errorf("ContentBucket notifies BuildQueue of %v, want %s too", keys(events), want)
			}
		}
		if !slices.Contains(bucket.AWSCloudFormationDependsOn, "BuildQueuePolicy") {
			t.Error("ContentBucket must DependsOn BuildQueuePolicy: S3 checks the policy when it saves the notification")
		}
	})

	t.Run("queue policy admits the content bucket", func(t *testing.T) {
		var found bool
		for _, st := range s.statements(t) {
			if st.owner != "BuildQueuePolicy" || st.effect != "Allow" || !slices.Contains(st.actions, "sqs:SendMessage") {
				continue
			}
			found = true
			if got := dig(st.raw, "Principal", "Service"); got != "s3.amazonaws.com" {
				t.Errorf("principal: got %v, want service s3.amazonaws.com", got)
			}
			if want := s.mustARN(t, "BuildQueue"); !reflect.DeepEqual(st.resources, []string{want}) {
				t.Errorf("resources: got %v, want [%s]", st.resources, want)
			}
			source := dig(st.raw, "Condition", "ArnEquals", "aws:SourceArn")
			if source == nil {
				source = dig(st.raw, "Condition", "ArnLike", "aws:SourceArn")
			}
			if want := s.mustARN(t, "ContentBucket"); source != want {
				t.Errorf("aws:SourceArn: got %v, want ContentBucket's %s", source, want)
			}
		}
		if !found {
			t.Fatal("BuildQueuePolicy: no statement allows sqs:SendMessage")
		}
	})
}

func TestEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]string
		baseURL func(s *stack) string
	}{
		{"distribution domain", nil, func(s *stack) string {
			d, _ := s.getAtt("Distribution", "DomainName")
			return "https://" + scalar(d)
		}},
		{"custom domain", map[string]string{"PublicBaseURL": "https://feeds.example.com"}, func(*stack) string {
			return "https://feeds.example.com"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, tt.params)
			content, feeds := s.mustName(t, "ContentBucket"), s.mustName(t, "FeedsBucket")
			want := map[string]map[string]string{
				"BuildFunction": {
					"FEEDPUB_ARTICLES":     "s3://" + content + "/articles",
					"FEEDPUB_SITE":         "s3://" + content + "/config/site.yaml",
					"FEEDPUB_OUT":          "s3://" + feeds + "/",
					"FEEDPUB_BASE_URL":     tt.baseURL(s),
					"FEEDPUB_FANOUT_QUEUE": fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, account, s.mustName(t, "FanOutQueue")),
					"FEEDPUB_FANOUT_ABOVE": "500",
					"FEEDPUB_SCHEDULE":     "rate(5 minutes)",
				},
				"WorkerFunction": {
					"FEEDPUB_ARTICLES": "s3://" + content + "/articles",
					"FEEDPUB_SITE":     "s3://" + content + "/config/site.yaml",
					"FEEDPUB_OUT":      "s3://" + feeds + "/",
					"FEEDPUB_BASE_URL": tt.baseURL(s),
					"FEEDPUB_SCHEDULE": "rate(5 minutes)",
				},
				"ServeFunction": {
					"FEEDPUB_FEEDS":          "s3://" + feeds + "/",
					"FEEDPUB_REVALIDATE":     "2s",
					"FEEDPUB_MEMORY_MB":      "64",
					"FEEDPUB_REBUILD_SECRET": testSecret,
					"FEEDPUB_BUILD_FUNCTION": s.mustName(t, "BuildFunction"),
				},
			}
			for _, id := range functions {
				f := s.function(t, id)
				var got map[string]string
				if f.Environment != nil {
					got = f.Environment.Variables
				}
				if !reflect.DeepEqual(got, want[id]) {
					t.Errorf("%s environment:\n got %v\nwant %v", id, got, want[id])
				}
			}
		})
	}
}

// TestEnvironmentMatchesPermissions checks that what each function will do
// with the locations its environment names is what its policy allows.
func TestEnvironmentMatchesPermissions(t *testing.T) {
	s := load(t, nil)
	env := func(id, name string) string {
		v, _ := dig(s.props(t, id), "Environment", "Variables", name).(string)
		return v
	}
	articles := objectARN(t, env("BuildFunction", "FEEDPUB_ARTICLES"))
	site := objectARN(t, env("BuildFunction", "FEEDPUB_SITE"))
	out := objectARN(t, env("BuildFunction", "FEEDPUB_OUT"))
	feeds := objectARN(t, env("ServeFunction", "FEEDPUB_FEEDS"))
	builder := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, env("ServeFunction", "FEEDPUB_BUILD_FUNCTION"))
	tests := []struct {
		fn, action, resource string
		want                 bool
	}{
		{"BuildFunction", "s3:ListBucket", bucketOf(articles), true},
		{"BuildFunction", "s3:GetObject", articles + "/zh-example.json", true},
		{"BuildFunction", "s3:GetObject", site, true},
		{"BuildFunction", "s3:GetObject", out + "build-report.json", true},
		{"BuildFunction", "s3:PutObject", out + "feeds/index.rss", true},
		{"BuildFunction", "s3:DeleteObject", out + "feeds/old.atom", true},
		{"BuildFunction", "s3:ListBucket", bucketOf(out), true}, // HEAD answers 404, not 403
		{"BuildFunction", "s3:GetObject", bucketOf(articles) + "/private/notes.txt", false},
		{"BuildFunction", "s3:PutObject", articles + "/zh-example.json", false},
		{"BuildFunction", "s3:DeleteObject", articles + "/zh-example.json", false},
		{"BuildFunction", "s3:PutObject", site, false},
		{"BuildFunction", "lambda:InvokeFunction", builder, false},
		{"ServeFunction", "s3:GetObject", feeds + "feeds/index.rss", true},
		{"ServeFunction", "s3:ListBucket", bucketOf(feeds), true}, // GET answers 404, not 403
		{"ServeFunction", "s3:PutObject", feeds + ".rebuild/0123abcd", true},
		{"ServeFunction", "lambda:InvokeFunction", builder, true},
		{"ServeFunction", "s3:PutObject", feeds + "feeds/index.rss", false},
		{"ServeFunction", "s3:DeleteObject", feeds + "feeds/index.rss", false},
		{"ServeFunction", "s3:GetObject", articles + "/zh-example.json", false},
		{"ServeFunction", "s3:GetObject", site, false},
		{"ServeFunction", "lambda:InvokeFunction", s.mustARN(t, "ServeFunction"), false},
	}
	for _, tt := range tests {
		t.Run(tt.fn+" "+tt.action+" "+tt.resource, func(t *testing.T) {
			if got := s.allowed(t, tt.fn, tt.action, tt.resource); got != tt.want {
				t.Errorf("got allowed=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestFunctionURL(t *testing.T) {
	s := load(t, nil)
	serve := s.function(t, "ServeFunction")
	if c := serve.FunctionUrlConfig; c == nil || c.AuthType != "AWS_IAM" || deref(c.InvokeMode) != "RESPONSE_STREAM" {
		t.Fatalf("ServeFunction FunctionUrlConfig: got %+v, want AuthType AWS_IAM, InvokeMode RESPONSE_STREAM", c)
	}
	dist, err := s.typed.GetCloudFrontDistributionWithName("Distribution")
	if err != nil {
		t.Fatal(err)
	}
	if dist.DistributionConfig == nil || len(dist.DistributionConfig.Origins) != 1 {
		t.Fatal("Distribution: want exactly one origin")
	}
	origin := dist.DistributionConfig.Origins[0]
	u, _ := url.Parse(functionURL("ServeFunction"))
	if origin.DomainName != u.Host {
		t.Errorf("origin domain: got %q, want the function URL's host %q", origin.DomainName, u.Host)
	}
	if origin.CustomOriginConfig == nil || origin.CustomOriginConfig.OriginProtocolPolicy != "https-only" {
		t.Errorf("origin: want CustomOriginConfig with OriginProtocolPolicy https-only")
	}
	var oacs []string
	for _, id := range s.ofType("AWS::CloudFront::OriginAccessControl") {
		oac, err := s.typed.GetCloudFrontOriginAccessControlWithName(id)
		if err != nil {
			t.Fatal(err)
		}
		c := oac.OriginAccessControlConfig
		if c != nil && c.OriginAccessControlOriginType == "lambda" && c.SigningBehavior == "always" && c.SigningProtocol == "sigv4" {
			oacs = append(oacs, s.mustName(t, id))
		}
	}
	if !slices.Contains(oacs, deref(origin.OriginAccessControlId)) {
		t.Errorf("origin access control: got %q, want one of %v (type lambda, signing always, sigv4)", deref(origin.OriginAccessControlId), oacs)
	}

	// Who may call ServeFunction: the distribution, through the URL, only.
	distribution := s.mustARN(t, "Distribution")
	type grant struct{ action, detail string }
	var got []grant
	for _, id := range s.ofType("AWS::Lambda::Permission") {
		p, err := s.typed.GetLambdaPermissionWithName(id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Principal == "*" {
			t.Errorf("%s: principal * (anyone may invoke)", id)
		}
		if p.FunctionName != s.mustName(t, "ServeFunction") {
			continue
		}
		if p.Principal != "cloudfront.amazonaws.com" || deref(p.SourceArn) != distribution {
			t.Errorf("%s: principal %s from %s, want cloudfront.amazonaws.com from %s", id, p.Principal, deref(p.SourceArn), distribution)
		}
		detail := "FunctionUrlAuthType=" + deref(p.FunctionUrlAuthType)
		if v, ok := s.props(t, id)["InvokedViaFunctionUrl"]; ok {
			detail = fmt.Sprintf("InvokedViaFunctionUrl=%v", v)
		}
		got = append(got, grant{p.Action, detail})
	}
	want := []grant{{"lambda:InvokeFunction", "InvokedViaFunctionUrl=true"}, {"lambda:InvokeFunctionUrl", "FunctionUrlAuthType=AWS_IAM"}}
	sort.Slice(got, func(i, j int) bool { return got[i].action < got[j].action })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServeFunction permissions:\n got %v\nwant %v", got, want)
	}
}

func TestCloudFront(t *testing.T) {
	s := load(t, nil)
	dist, err := s.typed.GetCloudFrontDistributionWithName("Distribution")
	if err != nil {
		t.Fatal(err)
	}
	c := dist.DistributionConfig
	if c == nil || c.DefaultCacheBehavior == nil {
		t.Fatal("Distribution: no DefaultCacheBehavior")
	}
	if !c.Enabled || deref(c.HttpVersion) != "http2and3" || deref(c.PriceClass) != "PriceClass_100" {
		t.Errorf("distribution: Enabled %v, HttpVersion %q, PriceClass %q; want true, http2and3, PriceClass_100", c.Enabled, deref(c.HttpVersion), deref(c.PriceClass))
	}

	d := c.DefaultCacheBehavior
	t.Run("default behaviour", func(t *testing.T) {
		if d.ViewerProtocolPolicy != "redirect-to-https" {
			t.Errorf("ViewerProtocolPolicy: got %q, want redirect-to-https", d.ViewerProtocolPolicy)
		}
		if slices.Contains(d.AllowedMethods, "POST") {
			t.Errorf("AllowedMethods %v: POST belongs to /rebuild only", d.AllowedMethods)
		}
		if !slices.Contains(d.AllowedMethods, "GET") || !slices.Contains(d.AllowedMethods, "HEAD") {
			t.Errorf("AllowedMethods %v: want GET and HEAD", d.AllowedMethods)
		}
		var policy string
		for _, id := range s.ofType("AWS::CloudFront::CachePolicy") {
			if s.mustName(t, id) == deref(d.CachePolicyId) {
				policy = id
			}
		}
		if policy == "" {
			t.Fatalf("CachePolicyId %q: want the template's own cache policy", deref(d.CachePolicyId))
		}
		p, err := s.typed.GetCloudFrontCachePolicyWithName(policy)
		if err != nil {
			t.Fatal(err)
		}
		cfg := p.CachePolicyConfig
		if cfg.MinTTL != 0 || cfg.DefaultTTL <= 0 || cfg.MaxTTL != 86400 {
			t.Errorf("%s TTLs min/default/max: got %v/%v/%v, want 0/>0/86400 (the origin's Cache-Control decides)", policy, cfg.MinTTL, cfg.DefaultTTL, cfg.MaxTTL)
		}
		k := cfg.ParametersInCacheKeyAndForwardedToOrigin
		if k == nil || k.EnableAcceptEncodingGzip != true || k.EnableAcceptEncodingBrotli == nil || !*k.EnableAcceptEncodingBrotli {
			t.Errorf("%s: want EnableAcceptEncodingGzip and EnableAcceptEncodingBrotli", policy)
		}
	})

	t.Run("rebuild behaviour", func(t *testing.T) {
		var found bool
		for _, b := range c.CacheBehaviors {
			if b.PathPattern != "/rebuild" {
				continue
			}
			found = true
			if !slices.Contains(b.AllowedMethods, "POST") {
				t.Errorf("AllowedMethods %v: want POST", b.AllowedMethods)
			}
			if deref(b.CachePolicyId) != cachingDisabled {
				t.Errorf("CachePolicyId: got %q, want CachingDisabled %s", deref(b.CachePolicyId), cachingDisabled)
			}
			if deref(b.OriginRequestPolicyId) != allViewerExceptHostHeader {
				t.Errorf("OriginRequestPolicyId: got %q, want AllViewerExceptHostHeader %s (X-Feedpub-* headers)", deref(b.OriginRequestPolicyId), allViewerExceptHostHeader)
			}
			if b.ViewerProtocolPolicy == "allow-all" {
				t.Error("ViewerProtocolPolicy allow-all: signed requests would travel in clear")
			}
			if b.TargetOriginId != d.TargetOriginId {
				t.Errorf("TargetOriginId: got %q, want %q", b.TargetOriginId, d.TargetOriginId)
			}
		}
		if !found {
			t.Fatal("no cache behaviour for /rebuild")
		}
	})
}

func TestBuckets(t *testing.T) {
	s := load(t, nil)
	for _, id := range []string{"ContentBucket", "FeedsBucket"} {
		t.Run(id, func(t *testing.T) {
			b, err := s.typed.GetS3BucketWithName(id)
			if err != nil {
				t.Fatal(err)
			}
			p := b.PublicAccessBlockConfiguration
			if p == nil || !isTrue(p.BlockPublicAcls) || !isTrue(p.BlockPublicPolicy) || !isTrue(p.IgnorePublicAcls) || !isTrue(p.RestrictPublicBuckets) {
				t.Errorf("PublicAccessBlockConfiguration: got %+v, want all four true", p)
			}
			if b.BucketEncryption == nil || len(b.BucketEncryption.ServerSideEncryptionConfiguration) == 0 ||
				b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault == nil ||
				b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
				t.Error("BucketEncryption: want SSE-S3 (AES256)")
			}
			if o := b.OwnershipControls; o == nil || len(o.Rules) != 1 || deref(o.Rules[0].ObjectOwnership) != "BucketOwnerEnforced" {
				t.Error("OwnershipControls: want BucketOwnerEnforced (no ACLs)")
			}
			if !s.deniesInsecureTransport(t, id) {
				t.Errorf("%s: no bucket policy denies s3:* on the bucket and its objects when aws:SecureTransport is false", id)
			}
		})
	}
	t.Run("content versioning", func(t *testing.T) {
		b, _ := s.typed.GetS3BucketWithName("ContentBucket")
		if b.VersioningConfiguration == nil || b.VersioningConfiguration.Status != "Enabled" {
			t.Error("ContentBucket: versioning is not Enabled")
		}
	})
	t.Run("rebuild claims expire", func(t *testing.T) {
		b, _ := s.typed.GetS3BucketWithName("FeedsBucket")
		var found bool
		if b.LifecycleConfiguration != nil {
			for _, r := range b.LifecycleConfiguration.Rules {
				if deref(r.Prefix) == ".rebuild/" && r.Status == "Enabled" && deref(r.ExpirationInDays) == 1 {
					found = true
				}
			}
		}
		if !found {
			t.Error("FeedsBucket: no enabled lifecycle rule expires .rebuild/ after 1 day")
		}
	})
}

func TestLogGroups(t *testing.T) {
	for _, days := range []string{"30", "7"} {
		s := load(t, map[string]string{"LogRetentionDays": days})
		groups := map[any]string{}
		for _, id := range functions {
			g := dig(s.props(t, id), "LoggingConfig", "LogGroup")
			if other, ok := groups[g]; ok {
				t.Errorf("%s and %s log to the same group %v", other, id, g)
			}
			groups[g] = id
		}
		for _, id := range functions {
			t.Run(id+" "+days+" days", func(t *testing.T) {
				cfg, _ := s.props(t, id)["LoggingConfig"].(map[string]any)
				if cfg["LogFormat"] != "JSON" {
					t.Errorf("LoggingConfig LogFormat: got %v, want JSON", cfg["LogFormat"])
				}
				var group string
				for _, g := range s.ofType("AWS::Logs::LogGroup") {
					if s.mustName(t, g) == cfg["LogGroup"] {
						group = g
					}
				}
				if group == "" {
					t.Fatalf("LoggingConfig LogGroup %v: want a log group of this template", cfg["LogGroup"])
				}
				g, err := s.typed.GetLogsLogGroupWithName(group)
				if err != nil {
					t.Fatal(err)
				}
				if got := strconv.Itoa(deref(g.RetentionInDays)); got != days {
					t.Errorf("%s RetentionInDays: got %s, want LogRetentionDays %s", group, got, days)
				}
			})
		}
	}
}

func TestAlarms(t *testing.T) {
	tests := []struct {
		name  string
		email string
	}{
		{"without email", ""},
		{"with email", "ops@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, map[string]string{"AlarmEmail": tt.email})
			var wantActions []string
			if tt.email != "" {
				topic, err := s.typed.GetSNSTopicWithName("AlarmTopic")
				if err != nil {
					t.Fatal(err)
				}
				if len(topic.Subscription) != 1 || topic.Subscription[0].Endpoint != tt.email || topic.Subscription[0].Protocol != "email" {
					t.Errorf("AlarmTopic subscriptions: got %+v, want email to %s", topic.Subscription, tt.email)
				}
				wantActions = []string{s.mustARN(t, "AlarmTopic")}
			}
			cond := dig(s.res["AlarmTopic"], "Condition")
			exists, err := s.condition(scalar(cond))
			if err != nil || exists != (tt.email != "") {
				t.Errorf("AlarmTopic condition %v: got %v (%v), want %v", cond, exists, err, tt.email != "")
			}
			watched := []struct{ namespace, metric, dimension, value string }{
				{"AWS/Lambda", "Errors", "FunctionName", s.mustName(t, "BuildFunction")},
				{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", s.mustName(t, "BuildDeadLetterQueue")},
			}
			for _, w := range watched {
				var found bool
				for _, id := range s.ofType("AWS::CloudWatch::Alarm") {
					a, err := s.typed.GetCloudWatchAlarmWithName(id)
					if err != nil {
						t.Fatal(err)
					}
					if deref(a.Namespace) != w.namespace || deref(a.MetricName) != w.metric ||
						!slices.ContainsFunc(a.Dimensions, func(d cloudwatch.Alarm_Dimension) bool { return d.Name == w.dimension && d.Value == w.value }) {
						continue
					}
					found = true
					if a.ComparisonOperator != "GreaterThanOrEqualToThreshold" || a.Threshold == nil || *a.Threshold != 1 {
						t.Errorf("%s: %s %v, want GreaterThanOrEqualToThreshold 1", id, a.ComparisonOperator, a.Threshold)
					}
					if !reflect.DeepEqual(a.AlarmActions, wantActions) {
						t.Errorf("%s AlarmActions: got %v, want %v", id, a.AlarmActions, wantActions)
					}
				}
				if !found {
					t.Errorf("no alarm on %s %s for %s=%s", w.namespace, w.metric, w.dimension, w.value)
				}
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	s := load(t, nil)
	domain, _ := s.getAtt("Distribution", "DomainName")
	want := map[string]string{
		"FeedsURL":          "https://" + scalar(domain) + "/",
		"FunctionUrl":       functionURL("ServeFunction"),
		"ContentBucketName": s.mustName(t, "ContentBucket"),
		"FeedsBucketName":   s.mustName(t, "FeedsBucket"),
		"BuildFunctionName": s.mustName(t, "BuildFunction"),
	}
	for name, w := range want {
		if got := s.outputs[name]; got != w {
			t.Errorf("output %s: got %v, want %s", name, got, w)
		}
	}
}

// TestLeastPrivilege walks every policy statement in the template (SAM
// function Policies, IAM roles and policies, bucket and queue policies):
// a statement about S3 or Lambda must name resources of this template, and
// an Allow must name its actions.
func TestLeastPrivilege(t *testing.T) {
	s := load(t, nil)
	statements := s.statements(t)

	// The walker must reach every kind of policy the template has.
	count := map[string]int{}
	for _, st := range statements {
		count[st.owner]++
	}
	for owner, min := range map[string]int{"BuildFunction": 3, "ServeFunction": 3, "ContentBucketPolicy": 1, "FeedsBucketPolicy": 1, "BuildQueuePolicy": 1} {
		if count[owner] < min {
			t.Errorf("%s: found %d policy statements, want at least %d", owner, count[owner], min)
		}
	}

	var named []string // ARNs a statement may name
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Serverless::Function", "AWS::Lambda::Function"} {
		for _, id := range s.ofType(typ) {
			named = append(named, s.mustARN(t, id))
		}
	}
	checked := 0
	for _, st := range statements {
		if len(st.notElements) > 0 {
			t.Errorf("%s %s: %v cannot be checked; list actions and resources", st.owner, st.sid, st.notElements)
		}
		if !slices.ContainsFunc(st.actions, func(a string) bool {
			a = strings.ToLower(a)
			return a == "*" || strings.HasPrefix(a, "s3:") || strings.HasPrefix(a, "lambda:")
		}) {
			continue
		}
		checked++
		if st.effect == "Allow" {
			for _, a := range st.actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s %s: allows %q; name the actions", st.owner, st.sid, a)
				}
			}
		}
		if len(st.resources) == 0 {
			t.Errorf("%s %s: no Resource", st.owner, st.sid)
		}
		for _, r := range st.resources {
			if !slices.ContainsFunc(named, func(arn string) bool {
				return r == arn || strings.HasPrefix(r, arn+"/") || strings.HasPrefix(r, arn+":")
			}) {
				t.Errorf("%s %s: resource %q is not a bucket, object, queue or function of this template", st.owner, st.sid, r)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d statements about S3 or Lambda, want at least 10: is the walker reading every policy?", checked)
	}

	// SAM attaches these managed policies itself; any other would escape the
	// walk above.
	for _, id := range s.ofType("AWS::Serverless::Function") {
		policies, _ := s.props(t, id)["Policies"].([]any)
		for _, p := range policies {
			if _, ok := dig(p, "Statement").([]any); !ok {
				t.Errorf("%s Policies: %v is not an inline policy document; the walk cannot check it", id, p)
			}
		}
	}
}

// ---------------------------------------------------------------- policies

type statement struct {
	owner, sid, effect string
	actions, resources []string
	notElements        []string // NotAction, NotResource, NotPrincipal
	raw                map[string]any
}

// statements returns every policy statement in the resolved template.
func (s *stack) statements(t *testing.T) []statement {
	t.Helper()
	var out []statement
	add := func(owner string, doc any) {
		sts := dig(doc, "Statement")
		if m, ok := sts.(map[string]any); ok {
			sts = []any{m}
		}
		list, ok := sts.([]any)
		if !ok {
			t.Errorf("%s: policy document %v has no Statement list", owner, doc)
			return
		}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				t.Errorf("%s: statement %v is not a map", owner, e)
				continue
			}
			st := statement{owner: owner, sid: scalar(m["Sid"]), effect: scalar(m["Effect"]), raw: m,
				actions: strs(m["Action"]), resources: strs(m["Resource"])}
			for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
				if _, ok := m[k]; ok {
					st.notElements = append(st.notElements, k)
				}
			}
			out = append(out, st)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.res)) {
		p := s.res[id]["Properties"]
		switch s.res[id]["Type"] {
		case "AWS::Serverless::Function":
			for _, doc := range list(dig(p, "Policies")) {
				if dig(doc, "Statement") != nil {
					add(id, doc)
				}
			}
		case "AWS::IAM::Role":
			for _, pol := range list(dig(p, "Policies")) {
				add(id, dig(pol, "PolicyDocument"))
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy",
			"AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy":
			add(id, dig(p, "PolicyDocument"))
		}
	}
	return out
}

// allowed reports whether fn's own policies allow action on resource.
func (s *stack) allowed(t *testing.T, fn, action, resource string) bool {
	t.Helper()
	allow := false
	for _, st := range s.statements(t) {
		if st.owner != fn {
			continue
		}
		if !slices.ContainsFunc(st.actions, func(a string) bool { return iamMatch(strings.ToLower(a), strings.ToLower(action)) }) ||
			!slices.ContainsFunc(st.resources, func(r string) bool { return iamMatch(r, resource) }) {
			continue
		}
		if st.effect == "Deny" {
			return false
		}
		allow = true
	}
	return allow
}

func (s *stack) deniesInsecureTransport(t *testing.T, bucket string) bool {
	t.Helper()
	arn := s.mustARN(t, bucket)
	for _, st := range s.statements(t) {
		if st.effect != "Deny" || !slices.Contains(st.actions, "s3:*") ||
			!slices.Contains(st.resources, arn) || !slices.Contains(st.resources, arn+"/*") ||
			dig(st.raw, "Principal") != "*" {
			continue
		}
		if v := scalar(dig(st.raw, "Condition", "Bool", "aws:SecureTransport")); v == "false" {
			return true
		}
	}
	return false
}

// iamMatch matches IAM's wildcards: * for any run of characters, ? for one.
func iamMatch(pattern, s string) bool {
	re := regexp.QuoteMeta(pattern)
	re = strings.ReplaceAll(re, `\*`, `.*`)
	re = strings.ReplaceAll(re, `\?`, `.`)
	return regexp.MustCompile(`^` + re + `$`).MatchString(s)
}

// objectARN turns s3://bucket/key into arn:aws:s3:::bucket/key.
func objectARN(t *testing.T, location string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(location, "s3://")
	if !ok || rest == "" {
		t.Fatalf("%q: want s3://bucket/...", location)
	}
	return "arn:aws:s3:::" + rest
}

func bucketOf(arn string) string {
	b, _, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:s3:::"), "/")
	return "arn:aws:s3:::" + b
}

// articlePrefix is the key prefix of s3://bucket/prefix, with a slash, as
// functions/build derives it for S3 notifications.
func articlePrefix(location any) string {
	rest, ok := strings.CutPrefix(scalar(location), "s3://")
	if !ok {
		return ""
	}
	_, prefix, _ := strings.Cut(rest, "/")
	if prefix = strings.Trim(prefix, "/"); prefix == "" {
		return ""
	}
	return prefix + "/"
}

// ---------------------------------------------------------------- helpers

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func strs(v any) []string {
	var out []string
	for _, e := range list(v) {
		out = append(out, scalar(e))
	}
	return out
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.NewDecoder(bytes.NewReader(b)).Decode(&out)
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func isTrue(p *bool) bool { return p != nil && *p }

func keys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// Fan-out: the build sends batches to FanOutQueue and nothing else; the
// worker is fed by it alone, reports failures per message, and the queue
// keeps a received batch hidden longer than a worker may run.
func TestFanOut(t *testing.T) {
	s := load(t, nil)
	queue := s.mustARN(t, "FanOutQueue")
	var sends []statement
	for _, st := range s.statements(t) {
		for _, a := range st.actions {
			if strings.EqualFold(a, "sqs:SendMessage") && st.owner == "BuildFunction" {
				sends = append(sends, st)
			}
		}
	}
	if len(sends) != 1 || !reflect.DeepEqual(sends[0].resources, []string{queue}) || sends[0].effect != "Allow" {
		t.Errorf("BuildFunction sqs:SendMessage: got %+v, want one Allow on %s", sends, queue)
	}
	var events []map[string]any
	for _, e := range dig(s.props(t, "WorkerFunction"), "Events").(map[string]any) {
		events = append(events, e.(map[string]any))
	}
	if len(events) != 1 || dig(events[0], "Type") != "SQS" || dig(events[0], "Properties", "Queue") != queue {
		t.Fatalf("WorkerFunction events: got %v, want one SQS event on %s", events, queue)
	}
	if got, _ := dig(events[0], "Properties", "FunctionResponseTypes").([]any); !slices.Contains(got, any("ReportBatchItemFailures")) {
		t.Errorf("WorkerFunction FunctionResponseTypes: got %v, want ReportBatchItemFailures", got)
	}
	q, err := s.typed.GetSQSQueueWithName("FanOutQueue")
	if err != nil {
		t.Fatal(err)
	}
	worker, err := s.typed.GetServerlessFunctionWithName("WorkerFunction")
	if err != nil {
		t.Fatal(err)
	}
	if q.VisibilityTimeout == nil || worker.Timeout == nil || *q.VisibilityTimeout < 6**worker.Timeout {
		t.Errorf("FanOutQueue VisibilityTimeout %v: want at least 6 x WorkerFunction Timeout %v", deref(q.VisibilityTimeout), deref(worker.Timeout))
	}
	if q.RedrivePolicy == nil {
		t.Error("FanOutQueue: no dead-letter queue")
	}
	for _, st := range s.statements(t) {
		if st.owner != "WorkerFunction" {
			continue
		}
		for _, a := range st.actions {
			if strings.EqualFold(a, "s3:DeleteObject") || strings.HasPrefix(strings.ToLower(a), "lambda:") || strings.HasPrefix(strings.ToLower(a), "sqs:") {
				t.Errorf("WorkerFunction %s: %s is more than a worker needs", st.sid, a)
			}
		}
	}
}
