package auth

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// UnaryClientInterceptor carries the caller of ctx to the called service as a freshly
// minted internal token. Without a caller in ctx the call is made as the system.
func UnaryClientInterceptor(s *Signer) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, err := outgoing(ctx, s, method)
		if err != nil {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor is UnaryClientInterceptor for streams.
func StreamClientInterceptor(s *Signer) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx, err := outgoing(ctx, s, method)
		if err != nil {
			return nil, err
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
}

func outgoing(ctx context.Context, s *Signer, method string) (context.Context, error) {
	p, ok := FromContext(ctx)
	if !ok {
		p = System()
	}
	// The token names the called service: another service refuses it (AudienceOf).
	tok, err := s.MintFor(p, AudienceOf(method))
	if err != nil {
		return nil, err
	}
	// Never forward what the caller sent us: only our own signed token travels on.
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Delete("authorization")
	md.Set(MetadataKey, tok)
	return metadata.NewOutgoingContext(ctx, md), nil
}
