package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/process"
)

// replicasReport is what loadgen replicas measured after a load on several replicas: the
// advances lost or done twice, and how the hops split between the processes.
type replicasReport struct {
	// Lost counts requests left IN_PROGRESS with no PENDING task at their step once every
	// outbox is empty: an advance nobody will make.
	Lost int64 `json:"lost"`
	// Doubled counts steps of a request that hold the same task twice (same type and
	// assignees): an advance done twice.
	Doubled int64 `json:"doubled"`
	// Processes are the replicated processes, by name (request, request-2, ...).
	Processes []replicaHops `json:"processes"`
}

// replicaHops is one process's share: gRPC calls it served (health checks left out) and
// outbox events its relays delivered.
type replicaHops struct {
	Name      string  `json:"name"`
	Service   string  `json:"service"`
	Served    float64 `json:"served"`
	Delivered float64 `json:"delivered"`
}

func cmdReplicas(args []string) error {
	fs := flag.NewFlagSet("replicas", flag.ExitOnError)
	pgURL := fs.String("pg", "", "PostgreSQL URL of the services' database")
	metrics := fs.String("metrics", "", "the replicated processes' metrics addresses: name=host:port,name=host:port,... (request, request-2, ...)")
	jsonOut := fs.String("json", "", "write the report here")
	limit := fs.Duration("timeout", 120*time.Second, "how long the outboxes may take to drain")
	_ = fs.Parse(args)
	w, err := openDBWatch(*pgURL)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.quiesce(*limit); err != nil {
		return err
	}
	ctx := context.Background()
	var rep replicasReport
	if err := w.conn.QueryRow(ctx, `SELECT count(*) FROM request.requests r WHERE r.status = 'IN_PROGRESS'
		AND NOT EXISTS (SELECT 1 FROM task.tasks t WHERE t.request_id = r.id AND t.step_index = r.step_index AND t.status = 'PENDING')`).Scan(&rep.Lost); err != nil {
		return fmt.Errorf("count lost advances: %w", err)
	}
	if err := w.conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM task.tasks WHERE request_id IS NOT NULL
		GROUP BY request_id, step_index, type, assignee_ids HAVING count(*) > 1) d`).Scan(&rep.Doubled); err != nil {
		return fmt.Errorf("count doubled advances: %w", err)
	}
	for item := range strings.SplitSeq(*metrics, ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		hops, err := process.ReadHops(ctx, &http.Client{Timeout: 10 * time.Second}, addr)
		if err != nil {
			return fmt.Errorf("%s's metrics: %w", name, err)
		}
		svc := name
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			svc = name[:i]
		}
		rep.Processes = append(rep.Processes, replicaHops{Name: name, Service: svc,
			Served: hops.Served, Delivered: hops.Delivered})
	}
	sort.Slice(rep.Processes, func(i, j int) bool { return rep.Processes[i].Name < rep.Processes[j].Name })
	fmt.Printf("replicas: %d lost advances, %d doubled\n", rep.Lost, rep.Doubled)
	for _, p := range rep.Processes {
		fmt.Printf("  %-10s calls served %8.0f   events delivered %8.0f\n", p.Name, p.Served, p.Delivered)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*jsonOut, b, 0o644)
	}
	return nil
}
