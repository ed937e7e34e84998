package infra

// These tests read template.yaml as CloudFormation would deploy it:
// goformation expands the short-form tags and, with its intrinsics
// processor, applies the parameter values, evaluates the Conditions and the
// Rules, and resolves Fn::If, Fn::Not, Fn::Equals, Fn::Select, Fn::Join and
// the rest. The result is parsed again into goformation's typed structs,
// whose strict decoding rejects a misspelt property name.
//
// What goformation's processor cannot do is kept here (the simulation
// below): a simulated stack (fixed account, region and stack name) gives
// Ref, Fn::GetAtt and Fn::Sub of resources their physical names and ARNs,
// derived from each resource's name property or logical ID (goformation
// resolves them to nothing, so no ARN could be compared); parameter
// values are checked against their constraints; a reference to nothing is
// an error rather than a silent empty string; Fn::Split returns a list
// Fn::Select can index; AWS::NoValue removes its key. goformation v7.14.9's
// structs also lack newer properties such as LoggingConfig (see
// newerThanGoformation), which its strict decoding rejects. Properties its
// structs do not model at all (an SQS event's FunctionResponseTypes, say)
// are read from the resolved tree.
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
)

// testCertificate stands for an ACM certificate for a custom domain.
const testCertificate = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ef-0123-456789abcdef"

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
	conds   map[string]bool           // evaluated Conditions
	res     map[string]map[string]any // resolved resources by logical ID
	outputs map[string]any            // resolved output values by name
	typed   *cloudformation.Template

	names map[string]string // physical names, once resolved
	errs  []error           // what the intrinsic handlers could not resolve
}

// load deploys template.yaml in simulation with the given parameter values.
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
	return deployTemplate(data, params)
}

func deployTemplate(data []byte, params map[string]string) (*stack, error) {
	long, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("template.yaml: %w", err)
	}
	s := &stack{params: map[string]any{}, conds: map[string]bool{}, res: map[string]map[string]any{},
		outputs: map[string]any{}, names: map[string]string{}}
	if err := json.Unmarshal(long, &s.tpl); err != nil {
		return nil, err
	}
	if err := s.setParameters(params); err != nil {
		return nil, err
	}

	// Conditions and Rules first: CloudFormation checks the rules before it
	// creates anything, and Fn::If needs the conditions.
	pre, err := s.process(present(map[string]any{"Conditions": s.tpl["Conditions"], "Rules": s.tpl["Rules"]}))
	if err != nil {
		return nil, err
	}
	for name, v := range mapOf(pre["Conditions"]) {
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("condition %s: %v is not a boolean", name, v)
		}
		s.conds[name] = b
	}
	if err := checkRules(mapOf(pre["Rules"])); err != nil {
		return nil, err
	}

	resources := mapOf(s.tpl["Resources"])
	if len(resources) == 0 {
		return nil, errors.New("template.yaml: no Resources")
	}
	// goformation's processor replaces any map with a "Condition" key by
	// the condition's value (meant for {"Condition": name} in Fn::And and
	// Fn::Or): a resource's condition is set aside and put back.
	conditionOf := map[string]any{}
	stripped := map[string]any{}
	for id, r := range resources {
		m := mapOf(deepCopy(r))
		if c, ok := m["Condition"]; ok {
			conditionOf[id] = c
			delete(m, "Condition")
		}
		stripped[id] = m
	}
	out, err := s.process(present(map[string]any{"Resources": stripped, "Outputs": s.tpl["Outputs"]}))
	if err != nil {
		return nil, err
	}
	for id, r := range mapOf(out["Resources"]) {
		m := mapOf(r)
		if c, ok := conditionOf[id]; ok {
			if _, known := s.conds[scalar(c)]; !known {
				return nil, fmt.Errorf("resource %s: condition %v: not in the template", id, c)
			}
			m["Condition"] = c
		}
		s.res[id] = m
	}
	for name, o := range mapOf(out["Outputs"]) {
		s.outputs[name] = dig(o, "Value")
	}
	if s.typed, err = s.parseTyped(); err != nil {
		return nil, fmt.Errorf("goformation: %w", err)
	}
	return s, nil
}

// setParameters checks each value against its parameter's constraints, as
// CloudFormation does before it creates anything (goformation's processor
// takes any value).
func (s *stack) setParameters(given map[string]string) error {
	defs := mapOf(s.tpl["Parameters"])
	for name := range given {
		if defs[name] == nil {
			return fmt.Errorf("parameter %s: not in the template", name)
		}
	}
	for name, d := range defs {
		def := mapOf(d)
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

// checkRules applies the template's Rules, resolved: each assertion of a
// rule whose RuleCondition holds (or that has none) must be true.
func checkRules(rules map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		rule := mapOf(rules[name])
		if c, ok := rule["RuleCondition"]; ok && c != true {
			if c != false {
				return fmt.Errorf("rule %s: RuleCondition %v is not a boolean", name, c)
			}
			continue
		}
		for _, a := range list(rule["Assertions"]) {
			if v := dig(a, "Assert"); v != true {
				return fmt.Errorf("rule %s: %v (assertion %v)", name, dig(a, "AssertDescription"), v)
			}
		}
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

// noValue is what Ref AWS::NoValue resolves to until prune drops the key or
// element that holds it (goformation's own Ref gives nil, which could not be
// told from a function that failed).
const noValue = "\x00AWS::NoValue"

// process resolves doc's intrinsic functions with goformation's processor:
// the template's parameters and conditions, its handlers, and the
// simulation's for what goformation resolves to nothing.
func (s *stack) process(doc map[string]any) (map[string]any, error) {
	doc = maps.Clone(doc)
	doc["Parameters"] = s.tpl["Parameters"]
	if _, ok := doc["Conditions"]; !ok {
		doc["Conditions"] = s.tpl["Conditions"]
	}
	in, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	before := len(s.errs)
	out, err := intrinsics.ProcessJSON(in, &intrinsics.ProcessorOptions{
		ParameterOverrides:        s.params,
		EvaluateConditions:        true,
		IntrinsicHandlerOverrides: s.handlers(),
	})
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, err
	}
	delete(v, "Parameters")
	pruned, err := prune(v, "")
	if err := errors.Join(append(slices.Clone(s.errs[before:]), err)...); err != nil {
		return nil, err
	}
	return pruned.(map[string]any), nil
}

// prune drops what AWS::NoValue stands for; any other null is a function
// goformation could not apply.
func prune(v any, path string) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, fmt.Errorf("%s: an intrinsic function resolved to nothing", path)
	case map[string]any:
		out := make(map[string]any, len(v))
		var errs []error
		for k, e := range v {
			if e == noValue {
				continue
			}
			r, err := prune(e, path+"/"+k)
			errs = append(errs, err)
			out[k] = r
		}
		return out, errors.Join(errs...)
	case []any:
		out := make([]any, 0, len(v))
		var errs []error
		for i, e := range v {
			if e == noValue {
				continue
			}
			r, err := prune(e, fmt.Sprintf("%s[%d]", path, i))
			errs = append(errs, err)
			out = append(out, r)
		}
		return out, errors.Join(errs...)
	}
	return v, nil
}

// handlers are the simulation's intrinsic handlers for goformation's
// processor; the rest are goformation's own.
func (s *stack) handlers() map[string]intrinsics.IntrinsicHandler {
	record := func(v any, err error) any {
		if err != nil {
			s.errs = append(s.errs, err)
			return nil
		}
		return v
	}
	return map[string]intrinsics.IntrinsicHandler{
		"Ref": func(_ string, arg, _ any) any {
			name, ok := arg.(string)
			if !ok {
				return record(nil, fmt.Errorf("Ref %v: not a name", arg))
			}
			return record(s.ref(name))
		},
		"Fn::GetAtt": func(_ string, arg, _ any) any {
			var id, attr string
			switch a := arg.(type) {
			case string:
				id, attr, _ = strings.Cut(a, ".")
			case []any:
				if len(a) == 2 {
					id, attr = scalar(a[0]), scalar(a[1])
				}
			}
			return record(s.getAtt(id, attr))
		},
		"Fn::Sub": func(_ string, arg, _ any) any { return record(s.sub(arg)) },
		// goformation's Fn::Split returns a []string, which its Fn::Select
		// cannot index.
		"Fn::Split": func(_ string, arg, _ any) any {
			a, _ := arg.([]any)
			if len(a) != 2 {
				return record(nil, fmt.Errorf("Fn::Split %v: want [delimiter, text]", arg))
			}
			var out []any
			for _, p := range strings.Split(scalar(a[1]), scalar(a[0])) {
				out = append(out, p)
			}
			return out
		},
		// goformation's Fn::If resolves an unknown condition to nothing.
		"Fn::If": func(name string, arg, template any) any {
			if a, ok := arg.([]any); ok && len(a) == 3 {
				if _, known := s.conds[scalar(a[0])]; !known {
					return record(nil, fmt.Errorf("Fn::If: condition %v: not in the template", a[0]))
				}
			}
			return intrinsics.FnIf(name, arg, template)
		},
	}
}

// condition returns the value of a condition of the template.
func (s *stack) condition(name string) (bool, error) {
	b, ok := s.conds[name]
	if !ok {
		return false, fmt.Errorf("condition %s: not in the template", name)
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

// sub is Fn::Sub: goformation's resolves ${Resource.Attribute} to nothing
// and leaves the template's own variables in the list form unreplaced.
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
		text, vars = scalar(a[0]), m
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
	if n, ok := s.names[id]; ok {
		return n, nil
	}
	n := strings.ToLower(stackName + "-" + id + "-generated")
	if p, ok := nameProperty[s.typeOf(id)]; ok {
		if v := dig(s.tpl, "Resources", id, "Properties", p); v != nil {
			r, err := s.process(map[string]any{"Value": v})
			if err != nil {
				return "", fmt.Errorf("%s.%s: %w", id, p, err)
			}
			n = scalar(r["Value"])
		}
	}
	s.names[id] = n
	return n, nil
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
		{"rebuild secret parameter", map[string]string{"RebuildSecretParameter": "/prod/feedpub/rebuild-key"}, true},
		{"rebuild secret parameter not a full path", map[string]string{"RebuildSecretParameter": "feedpub-rebuild-secret"}, false},
		{"rebuild secret parameter with a space", map[string]string{"RebuildSecretParameter": "/feedpub/rebuild secret"}, false},
		{"rebuild secret customer key", map[string]string{"RebuildSecretKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, true},
		{"rebuild secret key alias", map[string]string{"RebuildSecretKeyArn": "alias/aws/ssm"}, false},
		// The secret itself is no parameter any more: it would be in the
		// stack's parameters and the function's environment.
		{"rebuild secret as a parameter", map[string]string{"RebuildSecret": "0123456789abcdef0123456789abcdef"}, false},
		{"custom domain with certificate", map[string]string{"DomainName": "feeds.example.com", "CertificateArn": testCertificate}, true},
		{"custom domain without certificate", map[string]string{"DomainName": "feeds.example.com"}, false},
		{"certificate without domain", map[string]string{"CertificateArn": testCertificate}, false},
		{"certificate outside us-east-1", map[string]string{"DomainName": "feeds.example.com",
			"CertificateArn": strings.Replace(testCertificate, "us-east-1", "eu-west-1", 1)}, false},
		{"domain that is a URL", map[string]string{"DomainName": "https://feeds.example.com", "CertificateArn": testCertificate}, false},
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
					"FEEDPUB_FEEDS":                    "s3://" + feeds + "/",
					"FEEDPUB_REVALIDATE":               "2s",
					"FEEDPUB_MEMORY_MB":                "64",
					"GOMEMLIMIT":                       "192MiB",
					"FEEDPUB_REBUILD_SECRET_PARAMETER": "/feedpub/rebuild-secret",
					"FEEDPUB_BUILD_FUNCTION":           s.mustName(t, "BuildFunction"),
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
	buckets := s.ofType("AWS::S3::Bucket")
	if !slices.Contains(buckets, "ContentBucket") || !slices.Contains(buckets, "FeedsBucket") {
		t.Fatalf("buckets %v: want ContentBucket and FeedsBucket among them", buckets)
	}
	// A bucket has one policy: a second AWS::S3::BucketPolicy for it would
	// replace the first.
	policies := map[string][]string{}
	for _, id := range s.ofType("AWS::S3::BucketPolicy") {
		b := scalar(dig(s.props(t, id), "Bucket"))
		policies[b] = append(policies[b], id)
	}
	for _, id := range buckets { // every bucket, those added later too
		t.Run(id, func(t *testing.T) {
			if got := policies[s.mustName(t, id)]; len(got) != 1 {
				t.Errorf("bucket policies: got %v, want exactly one", got)
			}
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
				!slices.Contains([]string{"AES256", "aws:kms", "aws:kms:dsse"}, b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm) {
				t.Error("BucketEncryption: want SSE-S3 (AES256) or SSE-KMS by default")
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

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// present drops the sections a template does not have.
func present(doc map[string]any) map[string]any {
	maps.DeleteFunc(doc, func(_ string, v any) bool { return v == nil })
	return doc
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

// TestSimulation shows that the simulation refuses what CloudFormation
// would: the template tests above rely on it.
func TestSimulation(t *testing.T) {
	data, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	template := string(data)
	tests := []struct {
		name, old, new string
		want           string
	}{
		{"Ref of nothing", "!Ref FeedsCachePolicy", "!Ref FeedCachePolicy", "Ref FeedCachePolicy: no such parameter or resource"},
		{"Sub of nothing", "${FeedsBucket.Arn}/.rebuild/*", "${FeedBucket.Arn}/.rebuild/*", "Fn::GetAtt FeedBucket.Arn: no such resource"},
		{"unknown condition", "!If [HasCustomDomain, [!Ref DomainName]", "!If [HasDomain, [!Ref DomainName]", "condition HasDomain: not in the template"},
		{"Select out of range", "!Select [2, !Split", "!Select [9, !Split", "resolved to nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Count(template, tt.old) != 1 {
				t.Fatalf("template.yaml: %q is not there once; update the test", tt.old)
			}
			_, err := deployTemplate([]byte(strings.Replace(template, tt.old, tt.new, 1)), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one saying %q", err, tt.want)
			}
		})
	}
	t.Run("resolved", func(t *testing.T) {
		s := load(t, map[string]string{"AlarmEmail": "ops@example.com", "DomainName": "feeds.example.com", "CertificateArn": testCertificate})
		if got := dig(s.props(t, "BuildErrorsAlarm"), "AlarmActions"); !reflect.DeepEqual(got, []any{s.mustARN(t, "AlarmTopic")}) {
			t.Errorf("Fn::If with a condition: got %v", got)
		}
		if got := dig(s.props(t, "Distribution"), "DistributionConfig", "Origins"); scalar(dig(list(got)[0], "DomainName")) != "servefunction-urlid.lambda-url.eu-west-1.on.aws" {
			t.Errorf("Fn::Select of Fn::Split of Fn::GetAtt: got origin %v", got)
		}
		if s.res["AlarmTopic"]["Condition"] != "HasAlarmEmail" {
			t.Errorf("AlarmTopic: condition %v, want HasAlarmEmail kept", s.res["AlarmTopic"]["Condition"])
		}
		s = load(t, nil)
		if _, ok := dig(s.props(t, "BuildErrorsAlarm"), "AlarmActions").([]any); ok {
			t.Error("AWS::NoValue: AlarmActions is still there without AlarmEmail")
		}
		if _, ok := dig(s.props(t, "Distribution"), "DistributionConfig").(map[string]any)["Aliases"]; ok {
			t.Error("AWS::NoValue: Aliases is still there without DomainName")
		}
	})
}

// behaviours returns the distribution's cache behaviours, the default last,
// as CloudFront tries them.
func behaviours(t *testing.T, s *stack) []behaviour {
	t.Helper()
	dist, err := s.typed.GetCloudFrontDistributionWithName("Distribution")
	if err != nil {
		t.Fatal(err)
	}
	c := dist.DistributionConfig
	if c == nil || c.DefaultCacheBehavior == nil {
		t.Fatal("Distribution: no DefaultCacheBehavior")
	}
	var out []behaviour
	for _, b := range c.CacheBehaviors {
		out = append(out, behaviour{b.PathPattern, b.ViewerProtocolPolicy, deref(b.CachePolicyId), deref(b.ResponseHeadersPolicyId)})
	}
	d := c.DefaultCacheBehavior
	return append(out, behaviour{"*", d.ViewerProtocolPolicy, deref(d.CachePolicyId), deref(d.ResponseHeadersPolicyId)})
}

type behaviour struct{ path, viewerProtocol, cachePolicy, responseHeadersPolicy string }

// behaviourFor is the behaviour CloudFront picks for a request path: the
// first whose pattern matches (* any characters, ? one), else the default.
func behaviourFor(t *testing.T, s *stack, path string) behaviour {
	t.Helper()
	all := behaviours(t, s)
	for _, b := range all {
		if iamMatch(b.path, path) || b.path == "*" {
			return b
		}
	}
	return all[len(all)-1]
}

// resourceNamed returns the logical ID of the resource of type typ whose
// physical name (what a Ref gives) is name.
func (s *stack) resourceNamed(t *testing.T, typ, name string) string {
	t.Helper()
	for _, id := range s.ofType(typ) {
		if s.mustName(t, id) == name {
			return id
		}
	}
	return ""
}

func TestViewerHTTPS(t *testing.T) {
	s := load(t, nil)
	all := behaviours(t, s)
	if len(all) < 3 {
		t.Fatalf("got %d cache behaviours, want the default, /rebuild and /feeds/*", len(all))
	}
	// redirect-to-https on every behaviour: CloudFront redirects GET and
	// HEAD and refuses any other method over HTTP (so a POST /rebuild is
	// never forwarded in clear).
	for _, b := range all {
		if b.viewerProtocol != "redirect-to-https" {
			t.Errorf("behaviour %s: ViewerProtocolPolicy %q, want redirect-to-https", b.path, b.viewerProtocol)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := load(t, nil)
	for _, b := range behaviours(t, s) {
		t.Run(b.path, func(t *testing.T) {
			id := s.resourceNamed(t, "AWS::CloudFront::ResponseHeadersPolicy", b.responseHeadersPolicy)
			if id == "" {
				t.Fatalf("ResponseHeadersPolicyId %q: want a response headers policy of this template", b.responseHeadersPolicy)
			}
			p, err := s.typed.GetCloudFrontResponseHeadersPolicyWithName(id)
			if err != nil {
				t.Fatal(err)
			}
			c := p.ResponseHeadersPolicyConfig
			if c == nil || c.SecurityHeadersConfig == nil {
				t.Fatalf("%s: no SecurityHeadersConfig", id)
			}
			h := c.SecurityHeadersConfig
			if hsts := h.StrictTransportSecurity; hsts == nil || !hsts.Override || hsts.AccessControlMaxAgeSec < 31536000 {
				t.Errorf("%s Strict-Transport-Security: got %+v, want max-age of a year or more, overriding", id, hsts)
			}
			if h.ContentTypeOptions == nil {
				t.Errorf("%s: no X-Content-Type-Options: nosniff", id)
			}
			if r := h.ReferrerPolicy; r == nil || !slices.Contains([]string{"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}, r.ReferrerPolicy) {
				t.Errorf("%s Referrer-Policy: got %+v, want one that sends no path to other sites", id, r)
			}
			if f := h.FrameOptions; f == nil || (f.FrameOption != "DENY" && f.FrameOption != "SAMEORIGIN") {
				t.Errorf("%s X-Frame-Options: got %+v, want DENY or SAMEORIGIN", id, f)
			}
			// The origin's per-object headers stay: a preview page's
			// Content-Security-Policy, the feeds' CORS headers.
			if csp := h.ContentSecurityPolicy; csp != nil && csp.Override {
				t.Errorf("%s: Content-Security-Policy %q overrides the origin's", id, csp.ContentSecurityPolicy)
			}
			if cors := c.CorsConfig; cors != nil && cors.OriginOverride {
				t.Errorf("%s: CORS headers override the origin's", id)
			}
			var custom []string
			if c.CustomHeadersConfig != nil {
				for _, ch := range c.CustomHeadersConfig.Items {
					if ch.Override {
						custom = append(custom, ch.Header)
					}
				}
			}
			if c.RemoveHeadersConfig != nil {
				for _, r := range c.RemoveHeadersConfig.Items {
					custom = append(custom, r.Header)
				}
			}
			for _, name := range custom {
				if n := strings.ToLower(name); n == "content-security-policy" || strings.HasPrefix(n, "access-control-") || n == "link" || n == "vary" || n == "etag" || n == "im" {
					t.Errorf("%s: replaces or removes the origin's %s", id, name)
				}
			}
		})
	}
}

func TestCustomDomain(t *testing.T) {
	viewerCertificate := func(t *testing.T, s *stack) ([]string, map[string]any) {
		t.Helper()
		dist, err := s.typed.GetCloudFrontDistributionWithName("Distribution")
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := dig(s.props(t, "Distribution"), "DistributionConfig", "ViewerCertificate").(map[string]any)
		return dist.DistributionConfig.Aliases, cert
	}
	t.Run("with DomainName and CertificateArn", func(t *testing.T) {
		s := load(t, map[string]string{"DomainName": "feeds.example.com", "CertificateArn": testCertificate})
		aliases, cert := viewerCertificate(t, s)
		if !reflect.DeepEqual(aliases, []string{"feeds.example.com"}) {
			t.Errorf("Aliases: got %v, want [feeds.example.com]", aliases)
		}
		want := map[string]any{"AcmCertificateArn": testCertificate, "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
		if !reflect.DeepEqual(cert, want) {
			t.Errorf("ViewerCertificate: got %v, want %v", cert, want)
		}
		for _, id := range []string{"BuildFunction", "WorkerFunction"} {
			if got := dig(s.props(t, id), "Environment", "Variables", "FEEDPUB_BASE_URL"); got != "https://feeds.example.com" {
				t.Errorf("%s FEEDPUB_BASE_URL: got %v, want https://feeds.example.com", id, got)
			}
		}
		if got := s.outputs["FeedsURL"]; got != "https://feeds.example.com/" {
			t.Errorf("FeedsURL: got %v, want https://feeds.example.com/", got)
		}
		// PublicBaseURL, when given, still decides the feeds' links.
		s = load(t, map[string]string{"DomainName": "feeds.example.com", "CertificateArn": testCertificate, "PublicBaseURL": "https://example.com/feeds"})
		if got := dig(s.props(t, "BuildFunction"), "Environment", "Variables", "FEEDPUB_BASE_URL"); got != "https://example.com/feeds" {
			t.Errorf("FEEDPUB_BASE_URL with PublicBaseURL: got %v, want https://example.com/feeds", got)
		}
	})
	t.Run("without", func(t *testing.T) {
		s := load(t, nil)
		aliases, cert := viewerCertificate(t, s)
		if len(aliases) != 0 {
			t.Errorf("Aliases: got %v, want none", aliases)
		}
		if want := map[string]any{"CloudFrontDefaultCertificate": true}; !reflect.DeepEqual(cert, want) {
			t.Errorf("ViewerCertificate: got %v, want %v", cert, want)
		}
	})
}

// TestFeedDeltasReachOrigin: a request for a feed with A-IM (RFC 3229) must
// reach the origin with the reader's own If-None-Match (docs/deltas.md):
// the behaviour for /feeds/* keys on both headers, so both are forwarded
// on a miss and no reader gets another's answer; the rest of the site is
// cached without them.
func TestFeedDeltasReachOrigin(t *testing.T) {
	s := load(t, nil)
	headers := func(t *testing.T, path string) []string {
		t.Helper()
		b := behaviourFor(t, s, path)
		id := s.resourceNamed(t, "AWS::CloudFront::CachePolicy", b.cachePolicy)
		if id == "" {
			t.Fatalf("%s: cache policy %q is not one of this template", path, b.cachePolicy)
		}
		p, err := s.typed.GetCloudFrontCachePolicyWithName(id)
		if err != nil {
			t.Fatal(err)
		}
		cfg := p.CachePolicyConfig
		if cfg.MinTTL != 0 {
			t.Errorf("%s: MinTTL %v, want 0 (a 226 says no-store)", id, cfg.MinTTL)
		}
		k := cfg.ParametersInCacheKeyAndForwardedToOrigin
		if k == nil || !k.EnableAcceptEncodingGzip || !isTrue(k.EnableAcceptEncodingBrotli) {
			t.Fatalf("%s: want EnableAcceptEncodingGzip and EnableAcceptEncodingBrotli", id)
		}
		if k.HeadersConfig == nil || k.HeadersConfig.HeaderBehavior == "none" {
			return nil
		}
		var out []string
		for _, h := range k.HeadersConfig.Headers {
			out = append(out, strings.ToLower(h))
		}
		sort.Strings(out)
		return out
	}
	for _, path := range []string{"/feeds/index.atom", "/feeds/category/%E7%83%AD%E7%82%B9.rss", "/feeds/tag/go.json"} {
		if got, want := headers(t, path), []string{"a-im", "if-none-match"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cache key headers %v, want %v", path, got, want)
		}
	}
	for _, path := range []string{"/", "/index.html", "/feeds.opml", "/archive/index/2026-W05.atom", "/assets/feeds.css"} {
		if got := headers(t, path); len(got) != 0 {
			t.Errorf("%s: cache key headers %v, want none (no deltas there)", path, got)
		}
	}
	if b := behaviourFor(t, s, "/rebuild"); b.cachePolicy != cachingDisabled {
		t.Errorf("/rebuild: cache policy %q, want CachingDisabled", b.cachePolicy)
	}
}

// TestRebuildSecret: the key that signs POST /rebuild is in no parameter
// value and no environment: ServeFunction gets the name of a SecureString
// and may read that one parameter alone.
func TestRebuildSecret(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name   string
		params map[string]string
		param  string // the SecureString's name
		key    string // a customer managed key, if any
	}{
		{"defaults", nil, "/feedpub/rebuild-secret", ""},
		{"own name", map[string]string{"RebuildSecretParameter": "/prod/feedpub/rebuild"}, "/prod/feedpub/rebuild", ""},
		{"customer managed key", map[string]string{"RebuildSecretKeyArn": key}, "/feedpub/rebuild-secret", key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, tt.params)
			for _, id := range functions {
				vars, _ := dig(s.props(t, id), "Environment", "Variables").(map[string]any)
				for name := range vars {
					if name == "FEEDPUB_REBUILD_SECRET" || (strings.Contains(name, "SECRET") && !strings.HasSuffix(name, "_PARAMETER")) {
						t.Errorf("%s: environment variable %s holds a secret", id, name)
					}
				}
			}
			for _, p := range s.typed.Parameters {
				if p.NoEcho != nil && *p.NoEcho {
					t.Errorf("a NoEcho parameter: secrets belong in Parameter Store, not in the stack")
				}
			}
			if got := dig(s.props(t, "ServeFunction"), "Environment", "Variables", "FEEDPUB_REBUILD_SECRET_PARAMETER"); got != tt.param {
				t.Errorf("ServeFunction FEEDPUB_REBUILD_SECRET_PARAMETER: got %v, want %s", got, tt.param)
			}
			arn := fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", region, account, tt.param)
			for _, c := range []struct {
				fn, action, resource string
				want                 bool
			}{
				{"ServeFunction", "ssm:GetParameter", arn, true},
				{"ServeFunction", "ssm:GetParameter", arn + "-other", false},
				{"ServeFunction", "ssm:GetParameter", fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/other", region, account), false},
				{"ServeFunction", "ssm:GetParametersByPath", arn, false},
				{"ServeFunction", "ssm:PutParameter", arn, false},
				{"BuildFunction", "ssm:GetParameter", arn, false},
				{"WorkerFunction", "ssm:GetParameter", arn, false},
			} {
				if got := s.allowed(t, c.fn, c.action, c.resource); got != c.want {
					t.Errorf("%s %s on %s: got allowed=%v, want %v", c.fn, c.action, c.resource, got, c.want)
				}
			}
			// Every statement about SSM or KMS, whoever owns it: exactly
			// the parameter, exactly the key, named actions only.
			var kms []statement
			for _, st := range s.statements(t) {
				for _, a := range st.actions {
					a = strings.ToLower(a)
					switch {
					case strings.HasPrefix(a, "ssm:"):
						if st.owner != "ServeFunction" || a != "ssm:getparameter" || !reflect.DeepEqual(st.resources, []string{arn}) {
							t.Errorf("%s %s: %s on %v, want only ServeFunction's ssm:GetParameter on %s", st.owner, st.sid, a, st.resources, arn)
						}
					case strings.HasPrefix(a, "kms:"), a == "*":
						kms = append(kms, st)
					}
				}
			}
			if tt.key == "" {
				if len(kms) != 0 {
					t.Errorf("KMS statements %+v: the AWS managed key aws/ssm needs none", kms)
				}
				return
			}
			if len(kms) != 1 {
				t.Fatalf("got %d KMS statements, want one kms:Decrypt on %s", len(kms), tt.key)
			}
			st := kms[0]
			if st.owner != "ServeFunction" || st.effect != "Allow" || !reflect.DeepEqual(st.actions, []string{"kms:Decrypt"}) || !reflect.DeepEqual(st.resources, []string{tt.key}) {
				t.Errorf("KMS statement: %s %s %v on %v, want ServeFunction Allow [kms:Decrypt] on [%s]", st.owner, st.effect, st.actions, st.resources, tt.key)
			}
			if got, want := dig(st.raw, "Condition", "StringEquals", "kms:ViaService"), "ssm."+region+".amazonaws.com"; got != want {
				t.Errorf("KMS statement kms:ViaService: got %v, want %s (through Parameter Store only)", got, want)
			}
		})
	}
}

// TestCfnLint runs cfn-lint (AWS's CloudFormation linter, which applies the
// SAM transform first) on the template where it is installed: any error or
// warning fails.
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint not installed (pip install cfn-lint)")
	}
	out, err := exec.Command(lint, "--format", "parseable", "template.yaml").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}
