// Command audit runs the audit service on its own (the distributed mode), and verifies
// exports offline.
//
//	audit [serve]        serve gRPC on GRANTFLOW_GRPC_ADDR
//	audit migrate        apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//	audit verify-export  verify an export against the public key and kept checkpoints
//	audit keygen         print a new signing key (for GRANTFLOW_AUDIT_SIGNING_KEY) and its public key
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/audit"
)

// errNotOK is a verification that ran and found the export bad (exit status 1).
var errNotOK = errors.New("verification failed")

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "audit:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd = args[0]
	}
	switch cmd {
	case "serve", "migrate":
		// The settings, GRANTFLOW_AUDIT_SIGNING_KEY(_FILE) and GRANTFLOW_AUDIT_CHECKPOINT_*
		// included, are pkg/config's, the same as the all-in-one process reads.
		return kit.Main(audit.Kit, args)
	case "verify-export":
		return verifyExport(args[1:], stdout, stderr)
	case "keygen":
		return keygen(stdout)
	}
	return fmt.Errorf("unknown command %q: want serve, migrate, verify-export or keygen", cmd)
}
