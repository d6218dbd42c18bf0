// Command loadgen drives Grantflow's request lifecycle under load, through REST (the
// gateway) or gRPC (straight to the services), against a running deployment (make up), and
// reports throughput and latency percentiles per call. It is part of make bench
// (bench/scripts/bench.sh); docs/PERFORMANCE.md explains the figures.
//
//	loadgen seed  -identity ADDR -admin-key KEY -out seed.json        an organization to load with
//	loadgen life  -mode rest|grpc -seed seed.json [-concurrency N | -rate R] -duration D
//	loadgen read  -rest URL -request ADDR -seed seed.json -n N        the gateway's cost on one read
//	loadgen quiesce -pg URL                                           wait until every outbox is empty
//	loadgen replicas -pg URL -metrics name=addr,... -json out.json    lost/doubled advances, hops per replica
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = cmdSeed(os.Args[2:])
	case "life":
		err = cmdLife(os.Args[2:])
	case "read":
		err = cmdRead(os.Args[2:])
	case "quiesce":
		err = cmdQuiesce(os.Args[2:])
	case "replicas":
		err = cmdReplicas(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadgen seed|life|read|quiesce|replicas [flags] (loadgen <command> -h for the flags)")
	os.Exit(2)
}

func cmdQuiesce(args []string) error {
	fs := flag.NewFlagSet("quiesce", flag.ExitOnError)
	pgURL := fs.String("pg", "", "PostgreSQL URL of the services' database")
	limit := fs.Duration("timeout", 120*time.Second, "give up after this long")
	_ = fs.Parse(args)
	w, err := openDBWatch(*pgURL)
	if err != nil {
		return err
	}
	defer w.Close()
	return w.quiesce(*limit)
}
