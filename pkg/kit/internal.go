package kit

import (
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	optionsv1 "github.com/grantflow/grantflow/gen/go/grantflow/options/v1"
)

// Internal reports whether the gRPC service named service ("grantflow.task.v1.TaskInternalService")
// is one only other Grantflow services may call: its proto declares
// `option (grantflow.options.v1.internal) = true`. The option is declared once, in the
// protos; no list is kept by hand. A service the registry does not know is not internal.
func Internal(service string) bool {
	internal, _ := lookupInternal(service)
	return internal
}

// lookupInternal is [Internal], with known false for a name the registry does not hold.
func lookupInternal(service string) (internal, known bool) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return false, false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	return ok && proto.GetExtension(sd.Options(), optionsv1.E_Internal).(bool), true
}

// internalServices remembers [Internal]'s answer per service the registry holds (a name it
// does not hold is not kept, so a caller cannot grow it): InternalMethod runs on every call,
// and the registry does not change once the process has started.
var internalServices sync.Map // service name -> bool

// InternalMethod reports whether fullMethod ("/grantflow.task.v1.TaskInternalService/GetTask")
// is a method of an [Internal] service: the servers' auth.ServerOptions.InternalOnly, which
// refuses the callers without a signed internal token.
func InternalMethod(fullMethod string) bool {
	service, _, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return false
	}
	if v, ok := internalServices.Load(service); ok {
		return v.(bool)
	}
	internal, known := lookupInternal(service)
	if known {
		internalServices.Store(service, internal)
	}
	return internal
}
