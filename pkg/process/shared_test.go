package process

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/grantflow/grantflow/pkg/outbox"
)

// TestSharedServerTracesEachCallAsItsService: on the shared server a call is traced by the
// service that owns its method, an event delivery by the receiver its metadata names, and
// anything else (a receiver or method of no service of the process) by the process's
// handler, without making a TracerProvider for a name a caller chose.
func TestSharedServerTracesEachCallAsItsService(t *testing.T) {
	p := quietProcess(t)
	b := p.byService([]string{"grantflow-audit", "grantflow-request", "grantflow-task"})
	providers := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.tps)
	}
	made := providers()

	const deliver = "/grantflow.events.v1.EventSinkService/DeliverEvents"
	to := func(receivers ...string) context.Context {
		md := metadata.MD{}
		for _, r := range receivers {
			md.Append(outbox.ReceiverKey, r)
		}
		return metadata.NewIncomingContext(context.Background(), md)
	}
	for _, c := range []struct {
		name   string
		ctx    context.Context
		method string
		want   string // "" is the process's handler
	}{
		{"a service's method", context.Background(), "/grantflow.task.v1.TaskService/ApproveTask", "grantflow-task"},
		{"a delivery to audit", to("audit"), deliver, "grantflow-audit"},
		{"a delivery to request", to("request"), deliver, "grantflow-request"},
		{"a delivery naming no receiver", context.Background(), deliver, ""},
		{"a delivery naming two", to("audit", "request"), deliver, ""},
		{"a delivery to an unknown receiver", to("nobody"), deliver, ""},
		{"a delivery to a service not in the process", to("identity"), deliver, ""},
		{"a method of no service of the process", context.Background(), "/grantflow.nobody.v1.X/Y", ""},
		{"health", context.Background(), "/grpc.health.v1.Health/Check", ""},
	} {
		got := b.handler(c.ctx, c.method)
		want := b.fallback
		if c.want != "" {
			want = b.handlers[c.want]
		}
		if got != want {
			t.Errorf("%s: not traced as %q", c.name, c.want)
		}
	}
	if n := providers(); n != made {
		t.Errorf("calls made %d TracerProviders", n-made)
	}
}
