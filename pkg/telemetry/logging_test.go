package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// terminal is a writer that says it is a terminal.
type terminal struct{ bytes.Buffer }

func (*terminal) Terminal() bool { return true }

// TestLogFormatAndLevelFollowTheTerminal: on a terminal the default is short text at WARN;
// elsewhere JSON at INFO; GRANTFLOW_LOG_FORMAT and GRANTFLOW_LOG_LEVEL override either.
func TestLogFormatAndLevelFollowTheTerminal(t *testing.T) {
	var tty terminal
	log := NewLoggerFormat(&tty, "svc", "", "")
	log.Info("routine")
	log.Warn("needs attention", "k", "v")
	out := tty.String()
	if strings.Contains(out, "routine") || !strings.Contains(out, `level=WARN msg="needs attention"`) || strings.Contains(out, "time=") || strings.HasPrefix(out, "{") {
		t.Errorf("terminal default: %q, want short text at WARN", out)
	}

	var file bytes.Buffer
	log = NewLoggerFormat(&file, "svc", "", "")
	log.Info("routine")
	var rec map[string]any
	if err := json.Unmarshal(file.Bytes(), &rec); err != nil || rec["msg"] != "routine" || rec["service"] != "svc" {
		t.Errorf("not a terminal: %q, want JSON at INFO", file.String())
	}

	tty.Reset()
	log = NewLoggerFormat(&tty, "svc", "info", "json")
	log.Info("asked")
	if err := json.Unmarshal(tty.Bytes(), &rec); err != nil || rec["msg"] != "asked" {
		t.Errorf("JSON asked on a terminal: %q", tty.String())
	}
}

// TestHeldWriterKeepsLinesUntilReleased: lines written while held come out after the
// release, in order, never in the middle of what was printed meanwhile.
func TestHeldWriterKeepsLinesUntilReleased(t *testing.T) {
	var out bytes.Buffer
	h := &HeldWriter{W: &out}
	_, _ = h.Write([]byte("before\n"))
	release := h.Hold()
	_, _ = h.Write([]byte("log 1\n"))
	out.WriteString("PRINTOUT\n") // what the process prints for a person meanwhile
	_, _ = h.Write([]byte("log 2\n"))
	release()
	release()
	_, _ = h.Write([]byte("after\n"))
	if got, want := out.String(), "before\nPRINTOUT\nlog 1\nlog 2\nafter\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
