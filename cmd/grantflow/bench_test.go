package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
)

// BenchmarkGatewayOverhead runs the same read (GetRequest of a demo request, as its
// requester) through REST and through gRPC in one run, on one all-in-one process, and
// reports p50/p99 of each and the p50 difference: what the gateway adds.
func BenchmarkGatewayOverhead(b *testing.B) {
	s := startSystem(b, systemOptions{noRateLimit: true})
	key := s.key["ulf"]
	target := s.a.demo.requests[0].id // Ulf's done Figma request
	conn, err := grpc.NewClient(s.a.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := requestv1.NewRequestServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	rest := func() error {
		req, _ := http.NewRequest("GET", s.base+"/v1/requests/"+target, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := httpc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET request: %s", res.Status)
		}
		return res.Body.Close()
	}
	grpcCall := func() error {
		_, err := client.GetRequest(ctx, &requestv1.GetRequestRequest{Id: target})
		return err
	}
	for range 200 { // warm both paths (connections, caches)
		if err := rest(); err != nil {
			b.Fatal(err)
		}
		if err := grpcCall(); err != nil {
			b.Fatal(err)
		}
	}
	restD := make([]time.Duration, 0, b.N)
	grpcD := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N { // interleaved, so both see the same machine
		t0 := time.Now()
		if err := rest(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := grpcCall(); err != nil {
			b.Fatal(err)
		}
		restD, grpcD = append(restD, t1.Sub(t0)), append(grpcD, time.Since(t1))
	}
	b.StopTimer()
	rp50, rp99 := percentiles(restD)
	gp50, gp99 := percentiles(grpcD)
	b.ReportMetric(rp50, "rest-p50-µs")
	b.ReportMetric(rp99, "rest-p99-µs")
	b.ReportMetric(gp50, "grpc-p50-µs")
	b.ReportMetric(gp99, "grpc-p99-µs")
	b.ReportMetric(rp50-gp50, "gateway-p50-µs")
}

func percentiles(d []time.Duration) (p50, p99 float64) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Nanoseconds()) / 1000 }
	return at(0.50), at(0.99)
}
