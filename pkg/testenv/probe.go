package testenv

import (
	"context"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

func probePostgres(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

func probeRedis(ctx context.Context, url string) error {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return err
	}
	opts.MaxRetries = -1 // a probe reports the first failure; the caller gives up anyway
	client := goredis.NewClient(opts)
	defer client.Close()
	return client.Ping(ctx).Err()
}
