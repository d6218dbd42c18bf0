package process

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Hops is what one process did, read from its metrics address: the gRPC calls it served
// (health checks left out) and the outbox events its relays delivered. The replicas test and
// make bench's replicas step compare them across the replicas of a service.
type Hops struct {
	Served, Delivered float64
}

// ReadHops reads the Prometheus exposition at GET http://addr/metrics and sums the series
// of Hops.
func ReadHops(ctx context.Context, client *http.Client, addr string) (Hops, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return Hops{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return Hops{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s/metrics: %s", addr, res.Status)
	}
	if err != nil {
		return Hops{}, err
	}
	body := string(b)
	return Hops{
		Served:    sumSeries(body, "rpc_server_call_duration_seconds_count{", "grpc.health.v1"),
		Delivered: sumSeries(body, "grantflow_outbox_delivered_total{", ""),
	}, nil
}

// sumSeries adds up the values of the series whose line starts with prefix, leaving out the
// lines that contain except (if not empty).
func sumSeries(body, prefix, except string) float64 {
	var sum float64
	for line := range strings.SplitSeq(body, "\n") {
		if !strings.HasPrefix(line, prefix) || (except != "" && strings.Contains(line, except)) {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			sum += v
		}
	}
	return sum
}
