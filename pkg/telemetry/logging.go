package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns a JSON slog logger for service at level ("debug", "info", "warn",
// "error"; "" is info), adding trace_id and span_id from the context of each record.
func NewLogger(w io.Writer, service, level string) *slog.Logger {
	return NewLoggerFormat(w, service, level, "json")
}

// NewLoggerFormat is NewLogger in format "json", "text" (short lines: level, message,
// attributes; no time), or "" (auto): text on a terminal, JSON otherwise (a file, a pipe,
// a log collector). level "" is warn for text on a terminal (a person reads it: only what
// needs attention) and info otherwise.
func NewLoggerFormat(w io.Writer, service, level, format string) *slog.Logger {
	tty := IsTerminal(w)
	if format == "" {
		format = "json"
		if tty {
			format = "text"
		}
	}
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	case "":
		lv = slog.LevelInfo
		if tty && format == "text" {
			lv = slog.LevelWarn
		}
	default:
		lv = slog.LevelInfo
	}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // short lines: the terminal's reader knows when
			}
			return a
		}})
	} else {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})
	}
	return slog.New(traceHandler{h}).With("service", service)
}

// IsTerminal reports whether w is a character device (a terminal), without a dependency.
func IsTerminal(w io.Writer) bool {
	if t, ok := w.(interface{ Terminal() bool }); ok {
		return t.Terminal()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// HeldWriter passes writes through to W, except while held: then it keeps them, in order,
// until Release writes them out. A process holds its logs while it prints something a
// person reads (the demo organization), so log lines never cut through it.
type HeldWriter struct {
	W    io.Writer
	mu   sync.Mutex
	held bool
	buf  bytes.Buffer
}

func (h *HeldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		return h.buf.Write(p)
	}
	return h.W.Write(p)
}

// Terminal reports whether W is a terminal (see IsTerminal).
func (h *HeldWriter) Terminal() bool { return IsTerminal(h.W) }

// Hold keeps writes until the returned release is called (once; later calls do nothing).
func (h *HeldWriter) Hold() (release func()) {
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.held = false
			_, _ = h.W.Write(h.buf.Bytes())
			h.buf.Reset()
		})
	}
}

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(as)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}
