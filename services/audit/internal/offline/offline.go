package offline

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// maxLine bounds one line of an export (an event with its data).
const maxLine = 16 << 20

// VerifyExport walks the export read from r from seq 1, recomputing every hash, and checks
// the given checkpoints against pub (see domain.NewVerifier). The error is for an export
// that cannot be read (bad JSON, an error line, a field that does not parse): findings about
// the chain are in the report.
func VerifyExport(r io.Reader, pub ed25519.PublicKey, checkpoints []domain.Checkpoint) (domain.Report, error) {
	if len(pub) != ed25519.PublicKeySize {
		return domain.Report{}, fmt.Errorf("public key: want %d bytes, got %d", ed25519.PublicKeySize, len(pub))
	}
	v := domain.NewVerifier(pub, checkpoints, false)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for line := 1; sc.Scan(); line++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		e, err := ParseEventLine(raw)
		if err != nil {
			return domain.Report{}, fmt.Errorf("line %d: %w", line, err)
		}
		if !v.Add(&e) {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return domain.Report{}, fmt.Errorf("read export: %w", err)
	}
	return v.Finish(), nil
}

// ParseEventLine reads one line of an export: {"result": AuditEvent} as grpc-gateway
// streams it, or an AuditEvent object. {"error": ...} is an error: the export was cut
// short.
func ParseEventLine(raw []byte) (domain.Event, error) {
	var wrapper map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wrapper); err != nil {
		return domain.Event{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if msg, ok := wrapper["error"]; ok {
		return domain.Event{}, fmt.Errorf("the export ended with an error: %s", msg)
	}
	if inner, ok := wrapper["result"]; ok && len(wrapper) == 1 {
		raw = inner
	}
	var pb auditv1.AuditEvent
	if err := protojson.Unmarshal(raw, &pb); err != nil {
		return domain.Event{}, fmt.Errorf("not an AuditEvent: %w", err)
	}
	return EventFromPB(&pb)
}

// EventFromPB turns an API event back into the chain's form: hex hashes, times, and data in
// its canonical JSON.
func EventFromPB(pb *auditv1.AuditEvent) (domain.Event, error) {
	e := domain.Event{
		Seq: pb.GetSeq(), ID: pb.GetId(), Time: pb.GetTime().AsTime(), ActorID: pb.GetActorId(), ActorCredential: pb.GetActorCredential(),
		Service: pb.GetService(), Action: pb.GetAction(), Subject: pb.GetSubject(), RequestID: pb.GetRequestId(), PolicyID: pb.GetPolicyId(),
		PolicyVersion: pb.GetPolicyVersion(), TaskID: pb.GetTaskId(), TraceID: pb.GetTraceId(), IngestTime: pb.GetIngestTime().AsTime(),
	}
	var err error
	if e.PrevHash, err = domain.ParseHash(pb.GetPrevHash()); err != nil {
		return e, fmt.Errorf("event %d: prev_hash: %w", e.Seq, err)
	}
	if e.Hash, err = domain.ParseHash(pb.GetHash()); err != nil {
		return e, fmt.Errorf("event %d: hash: %w", e.Seq, err)
	}
	if pb.GetData() != nil {
		raw, err := protojson.Marshal(pb.GetData())
		if err != nil {
			return e, fmt.Errorf("event %d: data: %w", e.Seq, err)
		}
		if e.Data, err = domain.CanonicalJSON(raw); err != nil {
			return e, fmt.Errorf("event %d: data: %w", e.Seq, err)
		}
		if e.Data == nil { // "{}" is data; only an absent field is none
			e.Data = []byte("{}")
		}
	}
	return e, nil
}

// ParseCheckpoints reads checkpoints in any of the forms the API gives them: one
// Checkpoint object, a ListCheckpoints response ({"checkpoints": [...]}), or JSON lines
// of either.
func ParseCheckpoints(raw []byte) ([]domain.Checkpoint, error) {
	var out []domain.Checkpoint
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("checkpoints: %w", err)
		}
		if list, ok := obj["checkpoints"]; ok {
			var items []json.RawMessage
			if err := json.Unmarshal(list, &items); err != nil {
				return nil, fmt.Errorf("checkpoints: %w", err)
			}
			for _, item := range items {
				cp, err := parseCheckpoint(item)
				if err != nil {
					return nil, err
				}
				out = append(out, cp)
			}
			continue
		}
		if inner, ok := obj["result"]; ok && len(obj) == 1 {
			obj = nil
			raw = inner
		} else {
			raw, _ = json.Marshal(obj)
		}
		cp, err := parseCheckpoint(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

func parseCheckpoint(raw []byte) (domain.Checkpoint, error) {
	var pb auditv1.Checkpoint
	if err := protojson.Unmarshal(raw, &pb); err != nil {
		return domain.Checkpoint{}, fmt.Errorf("not a Checkpoint: %w", err)
	}
	head, err := domain.ParseHash(pb.GetHeadHash())
	if err != nil {
		return domain.Checkpoint{}, fmt.Errorf("checkpoint %d: head_hash: %w", pb.GetSeq(), err)
	}
	return domain.Checkpoint{Seq: pb.GetSeq(), HeadHash: head, Time: pb.GetTime().AsTime(), KeyID: pb.GetKeyId(), Signature: pb.GetSignature()}, nil
}

// ParsePublicKey reads a base64 Ed25519 public key (as GetPublicKey's JSON shows it).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("public key: want %d bytes, got %d", ed25519.PublicKeySize, len(raw))
			}
			return ed25519.PublicKey(raw), nil
		}
	}
	return nil, errors.New("public key: not base64")
}
