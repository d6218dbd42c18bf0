package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// logMark remembers where each service log ended, so that the gRPC calls a run caused can
// be counted from the services' own "finished call" records (one per call served).
type logMark map[string]int64

func markLogs(dir string) (logMark, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	m := logMark{}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		m[f] = st.Size()
	}
	return m, nil
}

// countCalls counts the gRPC calls each service served since the mark, by
// "service/method" (health checks left out).
func (m logMark) countCalls() (map[string]int, error) {
	out := map[string]int{}
	for f, off := range m {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		if _, err := fh.Seek(off, io.SeekStart); err != nil {
			fh.Close()
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			if !bytes.Contains(line, []byte(`"finished call"`)) || !bytes.Contains(line, []byte(`"grpc.component":"server"`)) {
				continue
			}
			var rec struct {
				Service string `json:"grpc.service"`
				Method  string `json:"grpc.method"`
			}
			if json.Unmarshal(line, &rec) != nil || rec.Service == "grpc.health.v1.Health" {
				continue
			}
			svc := rec.Service[strings.LastIndex(rec.Service, ".")+1:]
			out[svc+"/"+rec.Method]++
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func printCalls(w io.Writer, calls map[string]int, lifecycles int) {
	names := make([]string, 0, len(calls))
	total := 0
	for n, c := range calls {
		names = append(names, n)
		total += c
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  gRPC calls served by the services (their logs), whole run: %d = %.1f per lifecycle\n", total, float64(total)/float64(max(lifecycles, 1)))
	for _, n := range names {
		fmt.Fprintf(w, "    %-58s %8d %7.2f per lifecycle\n", n, calls[n], float64(calls[n])/float64(max(lifecycles, 1)))
	}
}
