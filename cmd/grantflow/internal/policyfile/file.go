package policyfile

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Version is the format version a file declares (`version: 1`).
const Version = 1

// File is a policies file as written: names, not ids.
type File struct {
	Version  int      `yaml:"version"`
	Policies []Policy `yaml:"policies"`
}

// Policy is one policy of a file, named by its name (unique on the server).
type Policy struct {
	Name        string   `yaml:"name"`
	RequestType string   `yaml:"requestType"`
	Scope       *Scope   `yaml:"scope,omitempty"`
	Workflow    Workflow `yaml:"workflow"`
}

// Scope names the app by its name and the permissions by theirs; absent: a global policy.
type Scope struct {
	App         string   `yaml:"app,omitempty"`
	Permissions []string `yaml:"permissions,omitempty,flow"`
}

// Workflow is the review steps in order, then the action step.
type Workflow struct {
	ReviewSteps []Step `yaml:"reviewSteps,omitempty"`
	ActionStep  *Step  `yaml:"actionStep"`
}

// Step is one step of a workflow.
type Step struct {
	Name         string   `yaml:"name"`
	Assignee     Assignee `yaml:"assignee"`
	Approval     string   `yaml:"approval,omitempty"`
	MinApprovals int32    `yaml:"minApprovals,omitempty"`
}

// Assignee is a step's assignee spec: groups by name, users by email.
type Assignee struct {
	Kind       string   `yaml:"kind"`
	CustomRole string   `yaml:"customRole,omitempty"`
	Groups     []string `yaml:"groups,omitempty,flow"`
	Users      []string `yaml:"users,omitempty,flow"`
}

// Document is a parsed file: what it says, and where it says it.
type Document struct {
	Name string // the file's name, for messages ("-": standard input)
	File File
	ast  *ast.File
}

// Error is one problem of a file, at a line, naming the field by its path in the file
// (policies[1].workflow.reviewSteps[0].assignee.kind).
type Error struct {
	File   string
	Line   int
	Field  string
	Policy string // the policy's name, when known
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	if e.Policy != "" {
		fmt.Fprintf(&b, " (policy %q)", e.Policy)
	}
	return b.String()
}

// Errors are every problem found in a file, in the order of their lines.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// err returns es sorted by line, or nil when empty.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}

// Parse reads a policies file. Unknown fields, wrong types and a missing or unknown
// version are errors naming the file and line.
func Parse(name string, data []byte) (*Document, error) {
	d := &Document{Name: name}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, d.yamlError(err)
	}
	d.ast = f
	if err := d.decode(data); err != nil {
		return nil, err
	}
	if d.File.Version != Version {
		msg := fmt.Sprintf("want %d", Version)
		if d.File.Version == 0 {
			msg = fmt.Sprintf("required: the format's version (version: %d)", Version)
		}
		return nil, Errors{d.at("version", "", msg)}
	}
	return d, nil
}

// decode reads data into d.File. The YAML library panics on some malformed input (found by
// FuzzParse: "policies: ! "); that is an error of the file, not a crash of the command.
func (d *Document) decode(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Errors{{File: d.Name, Msg: fmt.Sprintf("cannot read the file as YAML (%v)", r)}}
		}
	}()
	if err := yaml.UnmarshalWithOptions(data, &d.File, yaml.DisallowUnknownField()); err != nil {
		return d.yamlError(err)
	}
	return nil
}

// yamlError turns a YAML library error into one naming the file and line.
func (d *Document) yamlError(err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{File: d.Name, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line = tk.Position.Line
		}
		return Errors{e}
	}
	return Errors{{File: d.Name, Msg: err.Error()}}
}

// at is an error at field (a path in the file, "policies[0].scope.app"), at the line of
// that field or, when it is absent, of the nearest enclosing one.
func (d *Document) at(field, policy, msg string) *Error {
	return &Error{File: d.Name, Line: d.Line(field), Field: field, Policy: policy, Msg: msg}
}

// Line is the line of field in the file (the line of its key, or of its item in a
// list), or of its nearest enclosing field that is there; 0 without a document.
func (d *Document) Line(field string) int {
	if d.ast == nil || len(d.ast.Docs) == 0 {
		return 0
	}
	line := 1
	n := d.ast.Docs[0].Body
	for _, seg := range segments(field) {
		if n == nil {
			break
		}
		if seg.name != "" {
			var next ast.Node
			for _, mv := range mappingValues(n) {
				if mv.Key != nil && mv.Key.GetToken() != nil && mv.Key.GetToken().Value == seg.name {
					line, next = tokenLine(mv.Key.GetToken(), line), mv.Value
					break
				}
			}
			if next == nil {
				return line
			}
			n = next
			continue
		}
		seq, ok := n.(*ast.SequenceNode)
		if !ok || seg.index >= len(seq.Values) {
			return line
		}
		n = seq.Values[seg.index]
		line = tokenLine(n.GetToken(), line)
	}
	return line
}

func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

func tokenLine(tk *token.Token, otherwise int) int {
	if tk == nil || tk.Position == nil {
		return otherwise
	}
	return tk.Position.Line
}

type segment struct {
	name  string
	index int
}

// segments splits "policies[1].scope.app" into policies, [1], scope, app.
func segments(field string) []segment {
	var out []segment
	for _, part := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, segment{name: name})
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, _ := strconv.Atoi(num)
			out = append(out, segment{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }
