package grpcserver

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc/metadata"

	"github.com/grantflow/grantflow/pkg/auth"
)

// SlowCall is how long a call between services may take before its "finished call" record
// is logged at INFO like a public call's.
const SlowCall = 500 * time.Millisecond

// callLevel is the level of a call's log record: a "finished call" record of a call
// between Grantflow services (it carries an internal caller token) that succeeded (code
// OK) quickly is DEBUG, so that one REST call does not log a line per hop; errors, slow calls and
// calls from outside keep their level.
func callLevel(ctx context.Context, lvl logging.Level, msg string, fields []any) slog.Level {
	if msg != "finished call" || lvl != logging.LevelInfo {
		return slog.Level(lvl)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md.Get(auth.MetadataKey)) == 0 {
		return slog.Level(lvl)
	}
	ok, quick := false, false
	for i := 0; i+1 < len(fields); i += 2 {
		switch k, _ := fields[i].(string); k {
		case "grpc.code":
			ok = toString(fields[i+1]) == "OK"
		case "grpc.time_ms":
			ms, err := strconv.ParseFloat(toString(fields[i+1]), 64)
			quick = err == nil && ms < float64(SlowCall.Milliseconds())
		}
	}
	if ok && quick {
		return slog.LevelDebug
	}
	return slog.Level(lvl)
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	}
	return ""
}
