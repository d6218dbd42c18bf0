package process

import (
	"context"
	"net"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
)

// InMemory is a listener that only this process can reach: each connection to it is a
// pair of in-memory buffers (google.golang.org/grpc/test/bufconn), no socket. The
// all-in-one process serves its shared gRPC server on one besides its TCP port, and its
// services and its gateway dial it (DialInMemory), so a call between them costs no system
// call and no wake-up through the kernel, yet still passes every client interceptor (the
// internal caller token, errs.FromStatus, the retry policy) and every server one
// (authentication, logging, the stats handlers' spans and metrics) as over TCP.
type InMemory struct {
	lis   *bufconn.Listener
	dials atomic.Int64
}

// InMemoryTarget is the target of every client connection to an InMemory listener
// (grpc.ClientConn.Target): the passthrough resolver hands it to the listener's dialer.
const InMemoryTarget = "passthrough:///grantflow-in-process"

// InMemoryNetwork is the network of both ends' addresses of an in-memory connection
// (peer.Addr.Network() of a call that came through it).
const InMemoryNetwork = "bufconn"

// inMemoryBuffer is each direction's buffer of an in-memory connection: a writer waits
// while it is full, as on a socket. HTTP/2 flow control keeps a connection's unread data
// under its window (64 KiB per stream by default); this holds several streams' worth.
const inMemoryBuffer = 1 << 20

// NewInMemory returns an in-memory listener; serve a gRPC server on Listener.
func NewInMemory() *InMemory { return &InMemory{lis: bufconn.Listen(inMemoryBuffer)} }

// Listener is what a server serves on (grpc.Server.Serve). Closing it (the server's Stop
// does) refuses new connections.
func (m *InMemory) Listener() net.Listener { return m.lis }

// Dials is how many connections have been made to m (each client connection makes one,
// and one more after a reconnect).
func (m *InMemory) Dials() int64 { return m.dials.Load() }

// Dial connects to m (the dialer of a client connection: grpc.WithContextDialer); the
// address is ignored.
func (m *InMemory) Dial(ctx context.Context, _ string) (net.Conn, error) {
	m.dials.Add(1)
	return m.lis.DialContext(ctx)
}

// DialInMemory is Dial to the server served on m: the same retry policy, internal caller
// token, domain errors and client spans and metrics of service, through memory.
func (p *Process) DialInMemory(service string, m *InMemory) (*grpc.ClientConn, error) {
	return p.dial(service, InMemoryTarget, m.Dial)
}
