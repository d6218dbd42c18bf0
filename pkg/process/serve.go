package process

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"

	"github.com/grantflow/grantflow/pkg/lifecycle"
)

// Serve listens on addr and serves srv in the background; the server is stopped
// (gracefully, then forcefully) at shutdown. It returns the address actually bound (addr
// may end in :0).
func (p *Process) Serve(name string, srv *grpc.Server, addr string) (string, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: listen on %s: %w", name, addr, err)
	}
	go func() {
		if err := srv.Serve(lis); err != nil {
			p.Log.Error("grpc server stopped", "server", name, "error", err.Error())
		}
	}()
	p.Cleanups.Add("grpc server "+name, lifecycle.StopGRPC(srv))
	p.Log.Info("serving gRPC", "server", name, "addr", lis.Addr().String())
	return lis.Addr().String(), nil
}

// Go runs fn in the background until ctx (cancelled at shutdown) ends.
func (p *Process) Go(ctx context.Context, name string, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	p.Cleanups.Add(name, func(stop context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-stop.Done():
			return fmt.Errorf("%s did not stop in time", name)
		}
	})
}
