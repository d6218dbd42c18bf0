package memory

import (
	"context"
	"slices"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func (st *state) GetAppConnector(_ context.Context, appID string) (domain.AppConnector, error) {
	c, err := memstore.Get(st.connectors, appID)
	c.SealedSecret = slices.Clone(c.SealedSecret)
	return c, err
}

func (s *Store) GetAppConnector(ctx context.Context, appID string) (domain.AppConnector, error) {
	return memstore.View(s.Engine, func(st *state) (domain.AppConnector, error) { return st.GetAppConnector(ctx, appID) })
}

func (t *tx) PutAppConnector(_ context.Context, c domain.AppConnector) error {
	if t.connectors == nil {
		t.connectors = map[string]domain.AppConnector{}
	}
	c.SealedSecret = slices.Clone(c.SealedSecret)
	memstore.Put(t.Tx, t.connectors, c.AppID, c)
	return nil
}

func (t *tx) DeleteAppConnector(_ context.Context, appID string) error {
	if _, ok := t.connectors[appID]; !ok {
		return store.ErrNotFound
	}
	memstore.Delete(t.Tx, t.connectors, appID)
	return nil
}
