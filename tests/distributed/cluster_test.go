package distributed_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/proctest"
)

const (
	// startTimeout bounds the wait for every process to be ready (the gateway's /readyz).
	startTimeout = 30 * time.Second
)

// services are the service binaries, in the order make up starts them (audit first: every
// other service delivers its events there).
var services = []string{"audit", "notification", "identity", "policy", "request", "task", "review"}

// cluster is every service as its own process on its own gRPC port, and the gateway, on one
// database: the distributed mode of make up, on free ports.
type cluster struct {
	t        *testing.T
	procs    map[string]*proctest.Process
	grpc     map[string]string // service -> gRPC address
	metrics  map[string]string // process -> GRANTFLOW_METRICS_ADDR
	base     string            // the gateway's URL
	adminKey string            // GRANTFLOW_BOOTSTRAP_ADMIN_KEY
}

// clusterOptions are what the test gives every process.
type clusterOptions struct {
	postgresURL, redisURL string
	// otlpEndpoint receives every process's spans (OTLP/gRPC, no TLS).
	otlpEndpoint string
}

// startCluster builds the binaries, migrates each service's schema, starts every process
// and waits until the gateway's /readyz answers 200 (every service SERVING, Redis up).
// Everything is stopped, gracefully, when the test ends.
func startCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	began := time.Now()
	cmds := []string{"gateway/cmd/gateway"}
	for _, name := range services {
		cmds = append(cmds, proctest.ServiceCmd(name))
	}
	bins := proctest.Binaries(t, cmds...)
	built := time.Since(began)

	c := &cluster{t: t, procs: map[string]*proctest.Process{}, grpc: map[string]string{}, metrics: map[string]string{},
		adminKey: "gf_bootstrap_" + proctest.RandomHex(24)}
	for _, name := range services {
		c.grpc[name] = proctest.FreeAddr(t)
	}
	for _, name := range append([]string{"gateway"}, services...) {
		c.metrics[name] = proctest.FreeAddr(t)
	}
	httpAddr := proctest.FreeAddr(t)
	c.base = "http://" + httpAddr

	common := proctest.BaseEnv(
		"GRANTFLOW_REDIS_URL="+o.redisURL,
		"GRANTFLOW_INTERNAL_SECRET="+proctest.RandomHex(32),
		"GRANTFLOW_LOG_LEVEL=info",
		"GRANTFLOW_SHUTDOWN_TIMEOUT=5s",
		"OTEL_TRACES_EXPORTER=otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+o.otlpEndpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_BSP_SCHEDULE_DELAY=100", // milliseconds: spans reach the receiver soon after they end
	)
	for _, name := range services {
		common = append(common, "GRANTFLOW_"+strings.ToUpper(name)+"_ADDR="+c.grpc[name])
	}
	for _, name := range services {
		env := append(append([]string{}, common...),
			"GRANTFLOW_POSTGRES_URL="+o.postgresURL,
			"GRANTFLOW_GRPC_ADDR="+c.grpc[name],
			"GRANTFLOW_METRICS_ADDR="+c.metrics[name],
		)
		const secretsKey = "GRANTFLOW_SECRETS_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
		switch name { // as under make up: only identity knows the bootstrap key
		case "identity":
			env = append(env, "GRANTFLOW_BOOTSTRAP_ADMIN_KEY="+c.adminKey, secretsKey)
		case "notification":
			env = append(env, secretsKey)
		}
		c.procs[name] = proctest.New(t, name, bins[name], env)
	}
	c.procs["gateway"] = proctest.New(t, "gateway", bins["gateway"], append(append([]string{}, common...),
		"GRANTFLOW_HTTP_ADDR="+httpAddr,
		"GRANTFLOW_METRICS_ADDR="+c.metrics["gateway"],
	))
	// Stop the gateway first, then the services together (cleanups run last-in first-out).
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, name := range services {
			wg.Go(func() { c.procs[name].Stop() })
		}
		wg.Wait()
	})
	t.Cleanup(func() { c.procs["gateway"].Stop() })

	migrateStarted := time.Now()
	for _, name := range services {
		c.procs[name].MustRun("migrate")
	}
	migrated := time.Since(migrateStarted)

	startStarted := time.Now()
	for _, name := range services {
		c.procs[name].Start()
	}
	c.procs["gateway"].Start()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	last := "no answer yet"
	proctest.Poll(t, startTimeout, "the gateway's /readyz", func() (bool, string) {
		for _, p := range c.procs {
			p.CheckAlive()
		}
		res, err := client.Get(c.base + "/readyz")
		if err != nil {
			last = err.Error()
			return false, last
		}
		defer res.Body.Close()
		buf := make([]byte, 512)
		n, _ := res.Body.Read(buf)
		last = fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(buf[:n])))
		return res.StatusCode == http.StatusOK, last
	})
	for _, p := range c.procs {
		p.MarkReady()
	}
	t.Logf("cluster: binaries built in %s, 5 schemas migrated in %s, 6 processes ready in %s (gateway %s)",
		built.Round(time.Millisecond), migrated.Round(time.Millisecond), time.Since(startStarted).Round(time.Millisecond), c.base)
	return c
}
