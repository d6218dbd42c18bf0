package auth

import (
	"context"
	"errors"
	"reflect"
	"testing"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
)

func TestCaller(t *testing.T) {
	var e *errs.Error
	if _, _, err := Caller(context.Background()); !errors.As(err, &e) || e.Kind != errs.KindUnauthenticated {
		t.Fatalf("no principal: %v, want UNAUTHENTICATED", err)
	}
	for _, c := range []struct {
		p    Principal
		want authz.Subject
	}{
		{Principal{UserID: "u1", Role: identityv1.Role_GENERAL_MANAGER}, authz.Subject{UserID: "u1", Role: authz.RoleGeneralManager, Active: true}},
		{Principal{UserID: "u2", Role: identityv1.Role_USER}, authz.Subject{UserID: "u2", Role: authz.RoleUser, Active: true}},
		{Principal{UserID: "u3"}, authz.Subject{UserID: "u3"}}, // unknown role: may do nothing
		{System(), authz.Subject{UserID: SystemUserID, Role: authz.RoleAdmin, Active: true}},
	} {
		_, sub, err := Caller(WithPrincipal(context.Background(), c.p))
		if err != nil || !reflect.DeepEqual(sub, c.want) {
			t.Errorf("%+v: %+v, %v; want %+v", c.p, sub, err, c.want)
		}
	}
}
