// Package pbconv holds the conversions between the services' Go values and the protos that
// every grpcapi package (and an application layer that builds another service's request)
// would otherwise write again: enums by name, optional timestamps, lists that the API
// always shows, and the shared workflow types (pkg/workflow) to and from
// grantflow.type.v1.
//
// Enums travel by name: a domain's strings are the proto enum names, and the zero value
// (UNSPECIFIED) is "".
package pbconv

import (
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/grantflow/grantflow/pkg/errs"
)

// Enum is a proto enum type (the generated ~int32 with its String method).
type Enum interface {
	~int32
	String() string
}

// Name is e's name as a domain string type: "" for the zero value (UNSPECIFIED).
func Name[T ~string, E Enum](e E) T {
	if e == 0 {
		return ""
	}
	return T(e.String())
}

// Value is the enum value named s (values is the generated <Enum>_value map): the zero
// value for "" or an unknown name.
func Value[E ~int32, T ~string](values map[string]int32, s T) E {
	return E(values[string(s)])
}

// Time is t as a timestamp, nil for the zero time (not set).
func Time(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// List is s, or an empty list for nil: the API shows a list field even when it is empty.
func List[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Paths are the fields an update changes (AIP-134): the update mask's paths, or, without a
// mask, the fields set in the body (set: each updatable field's name and whether the body
// sets it), in name order.
func Paths(mask interface{ GetPaths() []string }, set map[string]bool) []string {
	if mask != nil && len(mask.GetPaths()) > 0 {
		return mask.GetPaths()
	}
	var out []string
	for k, ok := range set {
		if ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Field is one updatable field of an update (AIP-134): whether the body sets it (what
// counts without an update mask) and how its value goes into the patch (an error refuses
// the update).
type Field struct {
	Set   bool
	Apply func() error
}

// Put is the field whose value v goes into the patch as *dst = &v; set says whether the
// body sets it.
func Put[T any](set bool, dst **T, v T) Field {
	return Field{Set: set, Apply: func() error { *dst = &v; return nil }}
}

// Patch applies the fields an update changes (see Paths: the mask's, or without a mask
// those the body sets) in their order, and refuses a path that names none of fields:
// INVALID_ARGUMENT naming update_mask, with updatable (the fields' names as the API lists
// them) in the message.
func Patch(mask interface{ GetPaths() []string }, updatable string, fields map[string]Field) error {
	set := make(map[string]bool, len(fields))
	for name, f := range fields {
		set[name] = f.Set
	}
	for _, path := range Paths(mask, set) {
		f, ok := fields[path]
		if !ok {
			return errs.Invalid("update_mask", "cannot update "+path+"; updatable: "+updatable)
		}
		if err := f.Apply(); err != nil {
			return err
		}
	}
	return nil
}

// Reply is how a handler answers with an application call's result: conv(v), or the call's
// error as it is. A handler whose whole body is "call, convert" reads
//
//	return pbconv.Reply(taskPB)(h.App.GetTask(ctx, r.GetId()))
func Reply[T, P any](conv func(T) P) func(T, error) (P, error) {
	return func(v T, err error) (P, error) {
		if err != nil {
			var none P
			return none, err
		}
		return conv(v), nil
	}
}

// Page is how a list handler answers: resp, built from the page an application call
// returned, or the call's error. The handler builds resp before it looks at err, so it
// converts the items with Map (an empty page, when the call failed: nothing to convert):
//
//	ts, next, err := h.App.ListTasks(ctx, q)
//	return pbconv.Page(&taskv1.ListTasksResponse{Tasks: pbconv.Map(ts, taskPB), NextPageToken: next}, err)
func Page[R any](resp R, err error) (R, error) {
	if err != nil {
		var none R
		return none, err
	}
	return resp, nil
}

// Map is each of s converted, in order: an empty list (never nil) for none, as the API shows
// a list field even when it is empty.
func Map[T, P any](s []T, conv func(T) P) []P {
	out := make([]P, 0, len(s))
	for _, v := range s {
		out = append(out, conv(v))
	}
	return out
}

// Empty is how a handler that answers nothing answers an application call's error: an
// Empty message when there is none.
func Empty(err error) (*emptypb.Empty, error) {
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
