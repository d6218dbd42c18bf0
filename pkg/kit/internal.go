package kit

import (
	"strings"

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
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	return ok && proto.GetExtension(sd.Options(), optionsv1.E_Internal).(bool)
}

// InternalMethod reports whether fullMethod ("/grantflow.task.v1.TaskInternalService/GetTask")
// is a method of an [Internal] service: the servers' auth.ServerOptions.InternalOnly, which
// refuses the callers without a signed internal token.
func InternalMethod(fullMethod string) bool {
	service, _, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return ok && Internal(service)
}
