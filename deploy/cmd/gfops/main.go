// Command gfops is the small operations helper of Grantflow's deployments: the health
// probe that container images lack (distroless images have no shell, curl or
// grpc_health_probe), the database creation that `make up` and the migration job need, and
// `make up` / `make down` themselves (up.go, down.go), which run the processes through
// pkg/procrun, the process harness the test suites use too (pkg/proctest).
//
//	gfops grpc-health [-timeout 2s] ADDR [SERVICE]   exit 0 when grpc.health.v1 says SERVING
//	gfops http-ok [-timeout 2s] URL                  exit 0 on a 2xx answer
//	gfops ensure-db [-wait 0s] [POSTGRES_URL]        create the URL's database if it is missing
//	gfops up                                         make up: every service its own process, then the gateway
//	gfops down                                       make down: stop what make up started
//	gfops start NAME BIN [ARGS...] | stop NAME... | pid NAME   other processes in make up's state folder (procs.go)
//
// ensure-db reads GRANTFLOW_POSTGRES_URL when no URL is given, connects to the server's
// "postgres" database to create the missing one, and with -wait keeps trying to reach the
// server (a container start) until that much time has passed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const usage = `usage:
  gfops grpc-health [-timeout 2s] ADDR [SERVICE]
  gfops http-ok [-timeout 2s] URL
  gfops ensure-db [-wait 0s] [POSTGRES_URL]   (default: $GRANTFLOW_POSTGRES_URL)
  gfops up     (make up: settings in the environment, see docs/DEPLOY.md)
  gfops down   (make down)
  gfops start NAME BIN [ARGS...] | gfops stop NAME... | gfops pid NAME`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, errNotRunning) {
			os.Exit(3)
		}
		fmt.Fprintln(os.Stderr, "gfops:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "up":
		return up(out, os.Stderr)
	case "down":
		return down(out, os.Stderr)
	case "start", "stop", "pid":
		return procCommand(cmd, args, out, os.Stderr)
	}
	fs := flag.NewFlagSet("gfops "+cmd, flag.ContinueOnError)
	timeout := fs.Duration("timeout", 2*time.Second, "how long one check may take")
	wait := fs.Duration("wait", 0, "ensure-db: keep trying to reach the server this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch cmd {
	case "grpc-health":
		if fs.NArg() < 1 || fs.NArg() > 2 {
			return errors.New(usage)
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		return grpcHealth(ctx, fs.Arg(0), fs.Arg(1))
	case "http-ok":
		if fs.NArg() != 1 {
			return errors.New(usage)
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		return httpOK(ctx, fs.Arg(0))
	case "ensure-db":
		url := fs.Arg(0)
		if url == "" {
			url = os.Getenv("GRANTFLOW_POSTGRES_URL")
		}
		if url == "" || fs.NArg() > 1 {
			return errors.New(usage)
		}
		ctx, cancel := context.WithTimeout(context.Background(), *wait+30*time.Second)
		defer cancel()
		return ensureDB(ctx, url, *wait, out)
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// grpcHealth asks addr's grpc.health.v1 service about service ("" is the whole server).
func grpcHealth(ctx context.Context, addr, service string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.WaitForReady(true))
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s: %v", addr, res.GetStatus())
	}
	return nil
}

// httpOK GETs url and wants a 2xx.
func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s %s", url, res.Status, body)
	}
	return nil
}

// ensureDB creates url's database when the server says it does not exist.
func ensureDB(ctx context.Context, url string, wait time.Duration, out io.Writer) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("postgres url: %w", err)
	}
	name := cfg.Database
	if name == "" {
		return errors.New("postgres url names no database")
	}
	deadline := time.Now().Add(wait)
	for {
		err = tryDB(ctx, cfg, out)
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func tryDB(ctx context.Context, cfg *pgx.ConnConfig, out io.Writer) error {
	name := cfg.Database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		_ = conn.Close(ctx)
		fmt.Fprintf(out, "database %q exists\n", name)
		return nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return err
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("database %q is missing, and the server's postgres database: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
			fmt.Fprintf(out, "database %q exists\n", name)
			return nil
		}
		return fmt.Errorf("create database %q: %w", name, err)
	}
	fmt.Fprintf(out, "created database %q\n", name)
	return nil
}

// retryable: the server could not be reached (yet), or it is starting up.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P03" // cannot_connect_now: starting up
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
