package grpcclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/grpcclient"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// A stream's failure reaches the caller as a domain error, as a unary call's does: of the
// status's kind, with its fields, still answering status.Code; its end stays io.EOF.
func TestDialGivesStreamsDomainErrors(t *testing.T) {
	// Every method of this server streams: it sends one message, then ends the stream
	// with the error its name asks for.
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		if err := stream.SendMsg(&emptypb.Empty{}); err != nil {
			return err
		}
		switch method {
		case "/test.Stream/Invalid":
			return errs.ToStatus(stream.Context(), nil, errs.Invalid("filter.subject", "must name a subject")).Err()
		case "/test.Stream/Internal":
			return status.Error(codes.Internal, "boom")
		}
		return nil
	}))
	conn := dial(t, serve(t, srv))

	// recv opens a server stream of method and returns the error after its one message.
	recv := func(method string) error {
		t.Helper()
		s, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true}, method)
		if err != nil {
			t.Fatalf("%s: open: %v", method, err)
		}
		if err := s.SendMsg(&emptypb.Empty{}); err != nil {
			t.Fatalf("%s: send: %v", method, err)
		}
		if err := s.CloseSend(); err != nil {
			t.Fatalf("%s: close send: %v", method, err)
		}
		if err := s.RecvMsg(&emptypb.Empty{}); err != nil {
			t.Fatalf("%s: first message: %v", method, err)
		}
		return s.RecvMsg(&emptypb.Empty{})
	}

	err := recv("/test.Stream/Invalid")
	var de *errs.Error
	if !errors.As(err, &de) || de.Kind != errs.KindInvalid || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a stream ended INVALID_ARGUMENT: got %T %v, want a domain error of kind Invalid that answers status.Code", err, err)
	}
	if len(de.Fields) != 1 || de.Fields[0].Field != "filter.subject" {
		t.Fatalf("the field violations did not come through: %+v", de.Fields)
	}
	if err := recv("/test.Stream/Internal"); errs.KindOf(err) != errs.KindInternal || status.Code(err) != codes.Internal {
		t.Fatalf("a stream ended INTERNAL: got %T %v", err, err)
	}
	if err := recv("/test.Stream/Done"); err != io.EOF {
		t.Fatalf("a stream that ended well: got %v, want io.EOF", err)
	}
}

// A target listing several addresses reaches every one of them: calls are balanced round
// robin over the replicas of a service.
func TestDialBalancesOverEveryListedAddress(t *testing.T) {
	var served [2]atomic.Int64
	var addrs []string
	for i := range served {
		srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			served[i].Add(1)
			if err := stream.RecvMsg(&emptypb.Empty{}); err != nil {
				return err
			}
			return stream.SendMsg(&emptypb.Empty{})
		}))
		addrs = append(addrs, serve(t, srv))
	}
	conn := dial(t, addrs[0]+", "+addrs[1])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Round robin uses a replica once it connected: call until both served (the deadline
	// only bounds a hang), then check that calls alternate.
	for served[0].Load() == 0 || served[1].Load() == 0 {
		if err := conn.Invoke(ctx, "/test.Unary/Call", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
			t.Fatalf("call: %v (served %d and %d)", err, served[0].Load(), served[1].Load())
		}
	}
	before := [2]int64{served[0].Load(), served[1].Load()}
	for range 10 {
		if err := conn.Invoke(ctx, "/test.Unary/Call", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := served[0].Load()-before[0], served[1].Load()-before[1]; a < 4 || b < 4 {
		t.Errorf("10 calls over two ready replicas served %d and %d, want about 5 each (round robin)", a, b)
	}
}

func TestAddressesSplitsAList(t *testing.T) {
	got := grpcclient.Addresses(" a:1, ,b:2,")
	if len(got) != 2 || got[0] != "a:1" || got[1] != "b:2" {
		t.Errorf("Addresses = %q, want [a:1 b:2]", got)
	}
	if _, err := grpcclient.Dial(" , ", grpcclient.Options{Signer: &auth.Signer{}}); err == nil {
		t.Error("a target without an address was dialled")
	}
}

// serve serves srv on a local TCP port until the test ends, and returns its address.
func serve(t *testing.T, srv *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// dial is grpcclient's connection to target, with the tests' signer, closed when the test
// ends.
func dial(t *testing.T, target string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpcclient.Dial(target, grpcclient.Options{Signer: servicetest.Signer(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
