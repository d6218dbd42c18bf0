package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcclient"
)

// fakeRequests answers GetRequest with one request as the request service would show it.
type fakeRequests struct {
	requestv1.UnimplementedRequestServiceServer
	r *requestv1.Request
}

func (f fakeRequests) GetRequest(context.Context, *requestv1.GetRequestRequest) (*requestv1.Request, error) {
	return f.r, nil
}

func benchRequest() *requestv1.Request {
	now := timestamppb.New(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	return &requestv1.Request{
		Id: "0193a5c2-6f1e-7c3a-9d2b-5e8f1a2b3c4d", Type: typev1.RequestType_GRANT_ACCESS, RequesterId: "u-requester-0042",
		TargetUserId: "u-requester-0042", AppId: "app-0017", Permission: "read", Reason: "load test",
		Status: requestv1.Request_IN_PROGRESS, Stage: requestv1.Request_REVIEW, PolicyId: "pol-default", PolicyVersion: 3,
		TaskIds: []string{"0193a5c2-6f1e-7c3a-9d2b-000000000001"}, CreateTime: now, UpdateTime: now, PolicyLevel: "APP",
		Etag: "W/\"2\"", AccessDuration: durationpb.New(72 * time.Hour), Version: 2,
	}
}

// BenchmarkGatewayGetRequest is the gateway's own cost on the read of make bench's step 6
// (GET /v1/requests/{id}), against a fake request service on loopback TCP: "rest" through
// the gateway (HTTP/1.1 keep-alive, authentication by a fake authenticator: no Redis), "grpc"
// straight to the service. rest minus grpc is the gateway's work and its extra hop.
func BenchmarkGatewayGetRequest(b *testing.B) {
	srv := grpc.NewServer()
	requestv1.RegisterRequestServiceServer(srv, fakeRequests{r: benchRequest()})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	signer, err := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), Name)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := grpcclient.Dial(lis.Addr().String(), grpcclient.Options{Signer: signer})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	authn := auth.AuthenticatorFunc(func(context.Context, string) (auth.Principal, error) {
		return auth.Principal{UserID: "u-requester-0042"}, nil
	})
	h, err := New(context.Background(), Options{
		Logger: slog.New(slog.DiscardHandler), Authenticator: authn, Backends: Backends{Request: conn},
	})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	url := hs.URL + "/v1/requests/" + benchRequest().GetId()

	b.Run("rest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer key")
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatal(res.Status)
			}
		}
	})
	direct, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	rc := requestv1.NewRequestServiceClient(direct)
	b.Run("grpc", func(b *testing.B) {
		b.ReportAllocs()
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer key")
		for b.Loop() {
			if _, err := rc.GetRequest(ctx, &requestv1.GetRequestRequest{Id: "x"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
