package reliability_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain removes the built binaries after the tests, and fails the package when a test
// leaves goroutines behind (load workers, pools, client connections).
func TestMain(m *testing.M) {
	began := time.Now()
	code := m.Run()
	if buildTime > 0 {
		fmt.Printf("reliability: the package took %s, of which %s to build the service binaries\n",
			time.Since(began).Round(time.Millisecond), buildTime.Round(time.Millisecond))
	}
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck")); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
