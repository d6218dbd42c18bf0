package audit

import (
	"context"

	"google.golang.org/grpc"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// RequestServiceVisibility asks the request service, which owns the rule, whether a caller
// may see a request: it reads the request as that caller (the kit forwards the principal in
// its signed internal token). NOT_FOUND, the request service's answer for a request the
// caller may not see, is "no".
func RequestServiceVisibility(conn grpc.ClientConnInterface) RequestVisibility {
	return requestVisibility{client: requestv1.NewRequestServiceClient(conn)}
}

type requestVisibility struct {
	client requestv1.RequestServiceClient
}

func (v requestVisibility) CanSee(ctx context.Context, p auth.Principal, requestID string) (bool, error) {
	_, err := v.client.GetRequest(auth.WithPrincipal(ctx, p), &requestv1.GetRequestRequest{Id: requestID})
	switch {
	case err == nil:
		return true, nil
	case errs.Is(err, errs.KindNotFound), errs.Is(err, errs.KindPermissionDenied):
		// The dialer (pkg/grpcclient) hands back the request service's answer as a domain error.
		return false, nil
	}
	return false, err
}
