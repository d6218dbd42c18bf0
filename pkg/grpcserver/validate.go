package grpcserver

import (
	"context"
	"errors"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/grantflow/grantflow/pkg/errs"
)

// Validate checks msg against its protovalidate rules and returns an errs.Invalid error
// naming every bad field (by its proto path, e.g. "workflow.review_steps[0].name").
func Validate(v protovalidate.Validator, msg proto.Message) error {
	err := v.Validate(msg)
	if err == nil {
		return nil
	}
	var ve *protovalidate.ValidationError
	if !errors.As(err, &ve) {
		return err // a rule that does not compile: a bug, reported as internal
	}
	fields := make([]errs.FieldViolation, 0, len(ve.Violations))
	for _, v := range ve.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		if field == "" {
			field = "request"
		}
		fields = append(fields, errs.FieldViolation{Field: field, Description: v.Proto.GetMessage()})
	}
	return errs.InvalidFields(fields...)
}

func validateUnary(v protovalidate.Validator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if m, ok := req.(proto.Message); ok {
			if err := Validate(v, m); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

type validatingStream struct {
	grpc.ServerStream
	v protovalidate.Validator
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if pm, ok := m.(proto.Message); ok {
		return Validate(s.v, pm)
	}
	return nil
}

func validateStream(v protovalidate.Validator) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &validatingStream{ServerStream: ss, v: v})
	}
}
