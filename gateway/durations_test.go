package gateway

import (
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// A duration that does not parse is refused naming the field; valid ones decode.
func TestBadDurationNamesTheField(t *testing.T) {
	m := &strictJSON{JSONPb: &runtime.JSONPb{UnmarshalOptions: protojson.UnmarshalOptions{}}}
	for body, field := range map[string]string{
		`{"type":"GRANT_ACCESS","accessDuration":"3 days"}`:                                                       "accessDuration",
		`{"reviewSteps":[{"name":"a","dueAfter":"1h"}],"actionStep":{"name":"b"}}`:                                "reviewSteps[0].dueAfter",
		`{"reviewSteps":[{"name":"a","dueAfter":"60s","escalation":{"after":"soon"}}],"actionStep":{"name":"b"}}`: "reviewSteps[0].escalation.after",
		`{"actionStep":{"name":"b"},"maxAccessDuration":"x"}`:                                                     "maxAccessDuration",
	} {
		var err error
		if strings.Contains(body, "GRANT_ACCESS") {
			err = m.NewDecoder(strings.NewReader(body)).Decode(&requestv1.SubmitRequestRequest{})
		} else {
			err = m.NewDecoder(strings.NewReader(body)).Decode(&typev1.Workflow{})
		}
		if err == nil || !strings.HasPrefix(err.Error(), field+": ") {
			t.Errorf("%s: error %v, want one naming %s", body, err, field)
		}
	}
	var w typev1.Workflow
	if err := m.NewDecoder(strings.NewReader(`{"reviewSteps":[{"name":"a","dueAfter":"259200s"}],"actionStep":{"name":"b"},"maxAccessDuration":"3600.5s"}`)).Decode(&w); err != nil {
		t.Fatalf("valid durations: %v", err)
	}
	if w.GetReviewSteps()[0].GetDueAfter().GetSeconds() != 259200 {
		t.Fatalf("dueAfter %v", w.GetReviewSteps()[0].GetDueAfter())
	}
}
