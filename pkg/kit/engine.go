package kit

import (
	"context"
	"fmt"
	"log/slog"
)

// OpenStore is a service's engine choice: PostgreSQL (migrated by open) when postgresURL
// is set, else the memory engine, with the warning that nothing survives a restart.
func OpenStore[S any](ctx context.Context, log *slog.Logger, service, postgresURL string, memory func() S, open func(context.Context, string) (S, error)) (S, error) {
	if postgresURL == "" {
		log.Warn(Short(service) + ": memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		return memory(), nil
	}
	st, err := open(ctx, postgresURL)
	if err != nil {
		return st, fmt.Errorf("%s store: %w", Short(service), err)
	}
	return st, nil
}

// Logger is log, or slog.Default() when nil.
func Logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}
