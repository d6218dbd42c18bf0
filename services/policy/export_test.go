package policy

import (
	"context"

	"github.com/grantflow/grantflow/services/policy/internal/resolver"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// NewWithStore assembles the service on a store the test prepared (the benchmark seeds
// 50,000 policies straight into it).
func NewWithStore(ctx context.Context, o Options, st store.Store) (*Service, error) {
	return newService(ctx, o, st)
}

// Store is the service's store, for tests that look behind the API (the outbox).
func (s *Service) Store() store.Store { return s.Base.Store.(store.Store) }

// Resolver is the service's resolution index.
func (s *Service) Resolver() *resolver.Resolver { return s.app.Resolver() }
