package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"
)

// readResult compares the same read through the gateway (REST) and straight to the
// service (gRPC): the gateway's cost.
type readResult struct {
	Call       string  `json:"call"`
	N          int     `json:"n"`
	REST       Stat    `json:"rest"`
	GRPC       Stat    `json:"grpc"`
	GatewayP50 float64 `json:"gatewayP50Ms"` // REST p50 - gRPC p50
	GatewayP99 float64 `json:"gatewayP99Ms"`
	RESTError  string  `json:"restError,omitempty"`
}

func cmdRead(args []string) error {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	restURL := fs.String("rest", "http://127.0.0.1:8080", "gateway base URL")
	requestAddr := fs.String("request", "127.0.0.1:9093", "request service gRPC address")
	taskAddr := fs.String("task", "127.0.0.1:9094", "task service gRPC address")
	seedPath := fs.String("seed", "seed.json", "the organization (loadgen seed)")
	n := fs.Int("n", 2000, "calls through each path, interleaved")
	warm := fs.Int("warm", 200, "calls through each path before measuring")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file")
	_ = fs.Parse(args)

	seed, err := loadSeed(*seedPath)
	if err != nil {
		return err
	}
	g, err := newGRPC(*requestAddr, *taskAddr)
	if err != nil {
		return err
	}
	defer g.Close()
	rest := newREST(*restURL, 4)
	defer rest.Close()

	// One request to read: submitted over gRPC, so that the read works whatever the
	// gateway routes.
	k := seed.Next
	if k >= seed.pairs() {
		return errExhausted
	}
	seed.Next++
	if err := seed.save(); err != nil {
		return err
	}
	req := seed.Requesters[k%int64(len(seed.Requesters))]
	app := seed.Apps[(k/int64(len(seed.Requesters)))%int64(len(seed.Apps))]
	ctx := context.Background()
	r, err := g.Submit(ctx, req.Key, app.ID, seed.Permission)
	if err != nil {
		return fmt.Errorf("read: submit the request to read: %w", err)
	}
	res := readResult{Call: "GetRequest (GET /v1/requests/{id} vs RequestService.GetRequest)", N: *n}
	viaREST := func() error {
		got, err := rest.GetRequest(ctx, req.Key, r.ID)
		if err == nil && got.ID != r.ID {
			err = fmt.Errorf("REST answered request %q", got.ID)
		}
		return err
	}
	viaGRPC := func() error {
		got, err := g.GetRequest(ctx, req.Key, r.ID)
		if err == nil && got.ID != r.ID {
			err = fmt.Errorf("gRPC answered request %q", got.ID)
		}
		return err
	}
	for range *warm {
		if err := viaGRPC(); err != nil {
			return fmt.Errorf("read over gRPC: %w", err)
		}
		if err := viaREST(); err != nil {
			res.RESTError = err.Error()
		}
	}
	var restD, grpcD []time.Duration
	for range *n { // interleaved, so that both paths see the same machine
		if res.RESTError == "" {
			t0 := time.Now()
			err := viaREST()
			if err != nil {
				res.RESTError = err.Error()
			}
			restD = append(restD, time.Since(t0))
		}
		t0 := time.Now()
		if err := viaGRPC(); err != nil {
			return fmt.Errorf("read over gRPC: %w", err)
		}
		grpcD = append(grpcD, time.Since(t0))
	}
	res.GRPC = durationsStat(grpcD)
	fmt.Printf("\n== the same read through the gateway and straight to the service: %s, %d calls each, interleaved, one at a time\n", res.Call, *n)
	if res.RESTError == "" {
		res.REST = durationsStat(restD)
		res.GatewayP50 = res.REST.P50 - res.GRPC.P50
		res.GatewayP99 = res.REST.P99 - res.GRPC.P99
		printStats(os.Stdout, map[string]Stat{"REST (gateway)": res.REST, "gRPC (direct)": res.GRPC})
		fmt.Printf("  the gateway adds %.3f ms at p50, %.3f ms at p99\n", res.GatewayP50, res.GatewayP99)
	} else {
		printStats(os.Stdout, map[string]Stat{"gRPC (direct)": res.GRPC})
		fmt.Printf("  REST failed: %s\n", res.RESTError)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func durationsStat(d []time.Duration) Stat {
	if len(d) == 0 {
		return Stat{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Stat{Count: len(d), P50: ms(pct(d, 50)), P95: ms(pct(d, 95)), P99: ms(pct(d, 99)), Max: ms(d[len(d)-1]), Mean: ms(sum / time.Duration(len(d)))}
}
