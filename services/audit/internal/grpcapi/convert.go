package grpcapi

import (
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// EventPB is the API form of a stored event.
func EventPB(e *domain.Event) (*auditv1.AuditEvent, error) {
	out := &auditv1.AuditEvent{
		Id: e.ID, Seq: e.Seq, Time: timestamppb.New(e.Time), ActorId: e.ActorID, ActorCredential: e.ActorCredential,
		Service: e.Service, Action: e.Action, Subject: e.Subject, RequestId: e.RequestID, PolicyId: e.PolicyID,
		PolicyVersion: e.PolicyVersion, TaskId: e.TaskID, TraceId: e.TraceID,
		PrevHash: e.PrevHash.String(), Hash: e.Hash.String(), IngestTime: timestamppb.New(e.IngestTime),
	}
	if len(e.Data) > 0 {
		out.Data = &structpb.Struct{}
		if err := protojson.Unmarshal(e.Data, out.Data); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckpointPB is the API form of a checkpoint.
func CheckpointPB(cp *domain.Checkpoint) *auditv1.Checkpoint {
	if cp == nil {
		return nil
	}
	return &auditv1.Checkpoint{Seq: cp.Seq, HeadHash: cp.HeadHash.String(), Time: timestamppb.New(cp.Time), KeyId: cp.KeyID, Signature: cp.Signature}
}

// ReportPB is the API form of a verification report.
func ReportPB(r domain.Report) *auditv1.VerifyAuditEventsResponse {
	out := &auditv1.VerifyAuditEventsResponse{
		Ok: r.OK, VerifiedThrough: r.VerifiedThrough, FirstBadSeq: r.FirstBadSeq, Problem: r.Problem,
		StartSeq: r.StartSeq, EventsChecked: r.EventsChecked, CheckpointsChecked: int32(r.CheckpointsChecked),
		LastCheckpoint: CheckpointPB(r.LastCheckpoint), BadCheckpointSeq: r.BadCheckpointSeq,
	}
	if r.VerifiedThrough > 0 {
		out.HeadHash = r.HeadHash.String()
	}
	return out
}
