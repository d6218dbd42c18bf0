package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/identity/internal/app"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

func (h *Public) SetAppConnector(ctx context.Context, r *identityv1.SetAppConnectorRequest) (*identityv1.SetAppConnectorResponse, error) {
	c, secret, err := h.App.SetAppConnector(ctx, r.GetAppId(), app.ConnectorChange{URL: r.GetUrl(), Secret: r.GetSecret(), Rotate: r.GetRotateSecret()})
	if err != nil {
		return nil, err
	}
	return &identityv1.SetAppConnectorResponse{Connector: connectorPB(c), Secret: secret}, nil
}

func (h *Public) GetAppConnector(ctx context.Context, r *identityv1.GetAppConnectorRequest) (*identityv1.AppConnector, error) {
	return pbconv.Reply(connectorPB)(h.App.GetAppConnector(ctx, r.GetAppId()))
}

func (h *Public) DeleteAppConnector(ctx context.Context, r *identityv1.DeleteAppConnectorRequest) (*emptypb.Empty, error) {
	return pbconv.Empty(h.App.DeleteAppConnector(ctx, r.GetAppId()))
}

func (h *Internal) GetAppConnectorSecret(ctx context.Context, r *identityv1.GetAppConnectorSecretRequest) (*identityv1.GetAppConnectorSecretResponse, error) {
	url, secret, err := h.App.AppConnectorSecret(ctx, r.GetAppId())
	if err != nil {
		return nil, err
	}
	return &identityv1.GetAppConnectorSecretResponse{Url: url, Secret: secret}, nil
}

func connectorPB(c domain.AppConnector) *identityv1.AppConnector {
	return &identityv1.AppConnector{AppId: c.AppID, Url: c.URL, HasSecret: len(c.SealedSecret) > 0, UpdatedBy: c.UpdatedBy,
		CreateTime: timestamppb.New(c.CreateTime), UpdateTime: timestamppb.New(c.UpdateTime)}
}
