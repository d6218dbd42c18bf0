package store

import (
	"context"

	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

// ConnectorReader reads apps' provisioning connectors.
type ConnectorReader interface {
	// GetAppConnector returns the connector of app appID; ErrNotFound if it has none.
	GetAppConnector(ctx context.Context, appID string) (domain.AppConnector, error)
}

// ConnectorWriter sets and removes apps' provisioning connectors.
type ConnectorWriter interface {
	// PutAppConnector creates or replaces the connector of c.AppID.
	PutAppConnector(ctx context.Context, c domain.AppConnector) error
	// DeleteAppConnector removes the connector of appID; ErrNotFound if it has none.
	DeleteAppConnector(ctx context.Context, appID string) error
}
