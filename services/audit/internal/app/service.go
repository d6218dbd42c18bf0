package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// ServiceName is this service's name in events, logs and traces.
const ServiceName = "grantflow-audit"

// Checkpoint pace defaults.
const (
	DefaultCheckpointEvery    = 1000
	DefaultCheckpointInterval = 10 * time.Second
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Key signs the checkpoints.
	Key *domain.Key
	// Visibility answers, for callers who are not Admin or GM, whether they may see a
	// request (and so its events). Nil: OwnEventsOnly.
	Visibility RequestVisibility
	Logger     *slog.Logger
	// A checkpoint is made once CheckpointEvery events arrived since the last one, and every
	// CheckpointInterval when any did (by Run).
	CheckpointEvery    int
	CheckpointInterval time.Duration
	Now                func() time.Time
}

// Service implements the audit API.
type Service struct {
	store    store.Store
	key      *domain.Key
	vis      RequestVisibility
	log      *slog.Logger
	every    int64
	interval time.Duration
	now      func() time.Time

	// lastCheckpoint is the seq of the newest checkpoint this process knows of.
	lastCheckpoint atomic.Int64
	// kick wakes the checkpointer when CheckpointEvery events arrived.
	kick chan struct{}
}

// New returns the service, reading where the last checkpoint stands.
func New(ctx context.Context, o Options) (*Service, error) {
	s := &Service{store: o.Store, key: o.Key, vis: o.Visibility, log: o.Logger, every: int64(o.CheckpointEvery),
		interval: o.CheckpointInterval, now: o.Now, kick: make(chan struct{}, 1)}
	if s.vis == nil {
		s.vis = OwnEventsOnly{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.every <= 0 {
		s.every = DefaultCheckpointEvery
	}
	if s.interval <= 0 {
		s.interval = DefaultCheckpointInterval
	}
	if s.now == nil {
		s.now = time.Now
	}
	cp, ok, err := o.Store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		s.lastCheckpoint.Store(cp.Seq)
	}
	return s, nil
}

var deny = appkit.Deny

// readAll authorizes the calls that read the whole log (verify, export, checkpoints).
func readAll(ctx context.Context) error {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return err
	}
	return deny(authz.CanReadAuditAll(sub))
}
