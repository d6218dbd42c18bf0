package domain_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// goldenEvent is the worked example of README.md: an auditor's implementation of the
// canonical encoding must give goldenHash for it.
func goldenEvent() domain.Event {
	return domain.Event{
		Seq:             1,
		ID:              "0190a6c4-1b2f-7c3d-9e4f-5a6b7c8d9e0f",
		Time:            time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC),
		ActorID:         "u-admin",
		ActorCredential: "key-1",
		Service:         "grantflow-request",
		Action:          "request.created",
		Subject:         "requests/r-1",
		RequestID:       "r-1",
		PolicyID:        "p-1",
		PolicyVersion:   2,
		TaskID:          "",
		TraceID:         "4bf92f3577b34da6a3ce929d0e0e4736",
		Data:            []byte(`{"appId":"figma","permission":"editor"}`),
		IngestTime:      time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC),
	}
}

const (
	goldenEncoding = "000000186772616e74666c6f772e61756469742e6576656e742e7631" + // str(tag)
		"0000000000000001" + // i64(seq)
		"00000024" + "30313930613663342d316232662d376333642d396534662d356136623763386439653066" + // str(id)
		"00062ab06a3af580" + // i64(time µs)
		"00000007" + "752d61646d696e" + // actor_id
		"00000005" + "6b65792d31" + // actor_credential
		"00000011" + "6772616e74666c6f772d72657175657374" + // service
		"0000000f" + "726571756573742e63726561746564" + // action
		"0000000c" + "72657175657374732f722d31" + // subject
		"00000003" + "722d31" + // request_id
		"00000003" + "702d31" + // policy_id
		"0000000000000002" + // policy_version
		"00000000" + // task_id
		"00000020" + "3462663932663335373762333464613661336365393239643065306534373336" + // trace_id
		"00000027" + "7b226170704964223a226669676d61222c227065726d697373696f6e223a22656469746f72227d" + // data
		"00062ab06a485580" // i64(ingest_time µs)
	goldenHash = "210eb894c9279de753a4b94e69858193fc6d5076a2fc181672be1f6b4214248c"
)

func TestGoldenEncodingAndHash(t *testing.T) {
	e := goldenEvent()
	if got := hex.EncodeToString(domain.Encode(nil, &e)); got != goldenEncoding {
		t.Fatalf("encoding\n got %s\nwant %s", got, goldenEncoding)
	}
	var h domain.Hasher
	h.Seal(&e, domain.Hash{})
	if e.Hash.String() != goldenHash {
		t.Fatalf("hash %s, want %s", e.Hash, goldenHash)
	}
}

func TestCheckpointSignatureRoundTrip(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	k, err := domain.NewKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := domain.ParseHash(goldenHash)
	cp := k.Sign(1, head, time.Date(2025, 1, 2, 3, 4, 7, 999, time.UTC))
	if cp.Time.Nanosecond()%1000 != 0 {
		t.Fatalf("checkpoint time not kept to the microsecond: %v", cp.Time)
	}
	if err := domain.VerifyCheckpoint(k.Public(), cp); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// The message is what the README says it is.
	want := "0000001d" + hex.EncodeToString([]byte(domain.CheckpointTag)) + "0000000000000001" + goldenHash + fmt.Sprintf("%016x", cp.Time.UnixMicro())
	if got := hex.EncodeToString(domain.CheckpointMessage(cp.Seq, cp.HeadHash, cp.Time)); got != want {
		t.Fatalf("message %s, want %s", got, want)
	}
	for name, bad := range map[string]func(c *domain.Checkpoint){
		"seq":       func(c *domain.Checkpoint) { c.Seq++ },
		"head":      func(c *domain.Checkpoint) { c.HeadHash[0] ^= 1 },
		"time":      func(c *domain.Checkpoint) { c.Time = c.Time.Add(time.Microsecond) },
		"signature": func(c *domain.Checkpoint) { c.Signature = append([]byte{}, c.Signature...); c.Signature[3] ^= 1 },
		"key id":    func(c *domain.Checkpoint) { c.KeyID = "0000000000000000" },
	} {
		c := cp
		bad(&c)
		if err := domain.VerifyCheckpoint(k.Public(), c); err == nil {
			t.Errorf("changed %s: still verifies", name)
		}
	}
	other, _ := domain.NewKey(bytes.Repeat([]byte{8}, 32))
	if err := domain.VerifyCheckpoint(other.Public(), cp); err == nil {
		t.Error("verifies under another key")
	}
	if err := domain.VerifyCheckpoint(ed25519.PublicKey{1, 2}, cp); err == nil {
		t.Error("verifies under a truncated key")
	}
}

func TestParseSeed(t *testing.T) {
	seed := bytes.Repeat([]byte{0xfb}, 32)
	for _, s := range []string{
		"+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=", // std
		"-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s",  // raw url
	} {
		got, err := domain.ParseSeed(s)
		if err != nil || !bytes.Equal(got, seed) {
			t.Errorf("ParseSeed(%q) = %x, %v", s, got, err)
		}
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if got, err := domain.ParseSeed(b64(priv)); err != nil || !bytes.Equal(got, seed) {
		t.Errorf("64-byte private key: %x, %v", got, err)
	}
	for _, bad := range []string{"", "!!!", b64([]byte("short")), b64(append(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)...))} {
		if _, err := domain.ParseSeed(bad); err == nil {
			t.Errorf("ParseSeed(%q) accepted", bad)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// RFC 8785, section 3.2.2.
		{`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`, `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		// RFC 8785, section 3.2.3: names sort by UTF-16 code units.
		{`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{`{"b":{"d":1,"c":[{"z":0,"y":-0}]},"a":"<&>\u2028"}`, "{\"a\":\"<&>\u2028\",\"b\":{\"c\":[{\"y\":0,\"z\":0}],\"d\":1}}"},
		{` {} `, `{}`},
		{``, ``},
		{`null`, ``},
	} {
		got, err := domain.CanonicalJSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("CanonicalJSON(%s)\n got %s (%v)\nwant %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":1,"a":2}`, `{"a":1} {}`, `{"a":1e400}`, "{\"a\":\"\xff\"}", `{"a":}`, `{"a":1`} {
		if got, err := domain.CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%q) = %s, want an error", bad, got)
		}
	}
}

// ES6 number serialization: RFC 8785, appendix B.
func TestES6Numbers(t *testing.T) {
	for bits, want := range map[uint64]string{
		0x0000000000000000: "0",
		0x8000000000000000: "0",
		0x0000000000000001: "5e-324",
		0x8000000000000001: "-5e-324",
		0x7fefffffffffffff: "1.7976931348623157e+308",
		0xffefffffffffffff: "-1.7976931348623157e+308",
		0x4340000000000000: "9007199254740992",
		0xc340000000000000: "-9007199254740992",
		0x4430000000000000: "295147905179352830000",
		0x44b52d02c7e14af5: "9.999999999999997e+22",
		0x44b52d02c7e14af6: "1e+23",
		0x44b52d02c7e14af7: "1.0000000000000001e+23",
		0x444b1ae4d6e2ef4e: "999999999999999700000",
		0x444b1ae4d6e2ef4f: "999999999999999900000",
		0x444b1ae4d6e2ef50: "1e+21",
		0x3eb0c6f7a0b5ed8c: "9.999999999999997e-7",
		0x3eb0c6f7a0b5ed8d: "0.000001",
		0x41b3de4355555553: "333333333.3333332",
		0x41b3de4355555554: "333333333.33333325",
		0x41b3de4355555555: "333333333.3333333",
		0x41b3de4355555556: "333333333.3333334",
		0x41b3de4355555557: "333333333.33333343",
		0xbecbf647612f3696: "-0.0000033333333333333333",
		0x43143ff3c1cb0959: "1424953923781206.2",
	} {
		if got := string(domain.AppendES6Number(nil, math.Float64frombits(bits))); got != want {
			t.Errorf("%016x: got %s, want %s", bits, got, want)
		}
	}
}

func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2.5,-0,1e21,"x\n"],"b":{"c":null}}`, `{"\u00e9":true,"e\u0301":false}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := domain.CanonicalJSON(raw)
		if err != nil || out == nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("canonical form of %q is not JSON: %q", raw, out)
		}
		again, err := domain.CanonicalJSON(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", raw, out, again, err)
		}
	})
}

// sliceSource is a domain.Source over events in memory.
type sliceSource struct {
	events []domain.Event
	cps    []domain.Checkpoint
}

func (s *sliceSource) AllCheckpoints(context.Context) ([]domain.Checkpoint, error) { return s.cps, nil }

func (s *sliceSource) Scan(_ context.Context, from int64, fn func(*domain.Event) error) error {
	for i := range s.events {
		if s.events[i].Seq < from {
			continue
		}
		if err := fn(&s.events[i]); err != nil {
			return err
		}
	}
	return nil
}

// build makes a chain of n events with a checkpoint every every events (and at the head).
func build(t testing.TB, n, every int, key *domain.Key) *sliceSource {
	t.Helper()
	var h domain.Hasher
	src := &sliceSource{}
	var prev domain.Hash
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := domain.Event{
			Seq: int64(i), ID: fmt.Sprintf("ev-%04d", i), Time: t0.Add(time.Duration(i) * time.Second),
			ActorID: "u1", Service: "grantflow-test", Action: "thing.done", Subject: fmt.Sprintf("things/%d", i%7),
			Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), IngestTime: t0.Add(time.Duration(i) * time.Second),
		}
		h.Seal(&e, prev)
		prev = e.Hash
		src.events = append(src.events, e)
		if i%every == 0 || i == n {
			src.cps = append(src.cps, key.Sign(e.Seq, e.Hash, e.IngestTime))
		}
	}
	return src
}

func verify(t *testing.T, src *sliceSource, pub ed25519.PublicKey, fromLast bool) domain.Report {
	t.Helper()
	r, err := domain.VerifySource(t.Context(), src, pub, fromLast)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyIntactChain(t *testing.T) {
	key, _ := domain.NewKey(bytes.Repeat([]byte{1}, 32))
	src := build(t, 23, 5, key)
	for _, fromLast := range []bool{false, true} {
		r := verify(t, src, key.Public(), fromLast)
		if !r.OK || r.VerifiedThrough != 23 || r.HeadHash != src.events[22].Hash || r.FirstBadSeq != 0 || r.LastCheckpoint == nil || r.LastCheckpoint.Seq != 23 {
			t.Fatalf("fromLast=%v: %+v", fromLast, r)
		}
		if fromLast && (r.StartSeq != 23 || r.EventsChecked != 1 || r.CheckpointsChecked != 5) {
			t.Fatalf("from the last checkpoint: %+v", r)
		}
		if !fromLast && (r.StartSeq != 1 || r.EventsChecked != 23 || r.CheckpointsChecked != 5) {
			t.Fatalf("full walk: %+v", r)
		}
	}
	if r := verify(t, &sliceSource{}, key.Public(), false); !r.OK || r.VerifiedThrough != 0 {
		t.Fatalf("empty log: %+v", r)
	}
}

func TestLinkAppendsAfterTheHead(t *testing.T) {
	key, _ := domain.NewKey(bytes.Repeat([]byte{1}, 32))
	src := build(t, 5, 5, key)
	head := src.events[4]
	ingest := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	more := []domain.Event{
		{ID: "a", Time: ingest, Service: "s", Action: "x.done", Subject: "things/a"},
		{ID: "b", Time: ingest, Service: "s", Action: "x.done", Subject: "things/b"},
		{ID: "c", Time: ingest, Service: "s", Action: "x.done", Subject: "things/c"},
	}
	domain.Link(more, head.Seq, head.Hash, ingest)
	for i, e := range more {
		if e.Seq != head.Seq+int64(i)+1 || !e.IngestTime.Equal(ingest) {
			t.Fatalf("event %d: seq %d, ingest time %v", i, e.Seq, e.IngestTime)
		}
	}
	if more[0].PrevHash != head.Hash {
		t.Fatalf("the first linked event does not follow the head")
	}
	src.events = append(src.events, more...)
	if r := verify(t, src, key.Public(), false); !r.OK || r.VerifiedThrough != 8 || r.HeadHash != more[2].Hash {
		t.Fatalf("the linked events do not verify: %+v", r)
	}
}

func TestConcerns(t *testing.T) {
	e := &domain.Event{ActorID: "u1", Subject: "users/u2"}
	for user, want := range map[string]bool{"u1": true, "u2": true, "u3": false, "": false} {
		if got := e.Concerns(user); got != want {
			t.Errorf("Concerns(%q) = %v, want %v", user, got, want)
		}
	}
	if (&domain.Event{Subject: "users/"}).Concerns("") {
		t.Error("an event concerns the empty user")
	}
}

func TestVerifyFindsEachTamper(t *testing.T) {
	key, _ := domain.NewKey(bytes.Repeat([]byte{1}, 32))
	other, _ := domain.NewKey(bytes.Repeat([]byte{2}, 32))
	var h domain.Hasher
	for _, tc := range []struct {
		name       string
		tamper     func(s *sliceSource)
		firstBad   int64
		badCP      int64
		problemHas string
	}{
		{"changed field", func(s *sliceSource) { s.events[6].ActorID = "mallory" }, 7, 0, "hashes to"},
		{"changed data", func(s *sliceSource) { s.events[0].Data = []byte(`{"n":2}`) }, 1, 0, "hashes to"},
		{"changed hash", func(s *sliceSource) { s.events[12].Hash[0] ^= 1 }, 13, 0, "hashes to"},
		{"changed prev hash", func(s *sliceSource) { s.events[12].PrevHash[0] ^= 1 }, 13, 0, "prev_hash"},
		{"deleted row", func(s *sliceSource) { s.events = append(s.events[:8:8], s.events[9:]...) }, 9, 0, "missing"},
		{"deleted last row", func(s *sliceSource) { s.events = s.events[:22] }, 21, 23, "beyond"},
		{"swapped rows", func(s *sliceSource) {
			s.events[3], s.events[10] = s.events[10], s.events[3]
			s.events[3].Seq, s.events[10].Seq = 4, 11
		}, 4, 0, "prev_hash"},
		{"inserted forged row", func(s *sliceSource) {
			forged := s.events[6]
			forged.ID, forged.ActorID = "forged", "mallory"
			h.Seal(&forged, s.events[6].PrevHash)
			rest := append([]domain.Event{forged}, s.events[6:]...)
			for i := range rest[1:] {
				rest[1+i].Seq++
			}
			s.events = append(s.events[:6:6], rest...)
		}, 8, 0, "prev_hash"},
		{"inserted forged row at a checkpoint", func(s *sliceSource) {
			forged := s.events[9]
			forged.ID = "forged"
			h.Seal(&forged, s.events[9].PrevHash)
			rest := append([]domain.Event{forged}, s.events[9:]...)
			for i := range rest[1:] {
				rest[1+i].Seq++
			}
			s.events = append(s.events[:9:9], rest...)
		}, 6, 10, "rewritten"},
		{"rewritten chain", func(s *sliceSource) {
			s.events[11].ActorID = "mallory"
			prev := s.events[10].Hash
			for i := 11; i < len(s.events); i++ {
				h.Seal(&s.events[i], prev)
				prev = s.events[i].Hash
			}
		}, 11, 15, "rewritten"},
		{"forged checkpoint signature", func(s *sliceSource) { s.cps[2].Signature = other.Sign(15, s.cps[2].HeadHash, s.cps[2].Time).Signature }, 11, 15, "bad signature"},
		{"checkpoint of another key", func(s *sliceSource) { s.cps[1] = other.Sign(10, s.cps[1].HeadHash, s.cps[1].Time) }, 6, 10, "signed by key"},
		{"rewritten chain with re-signed checkpoints", func(s *sliceSource) {
			s.events[0].ActorID = "mallory"
			var prev domain.Hash
			for i := range s.events {
				h.Seal(&s.events[i], prev)
				prev = s.events[i].Hash
			}
			for i, cp := range s.cps {
				s.cps[i] = other.Sign(cp.Seq, s.events[cp.Seq-1].Hash, cp.Time)
			}
		}, 1, 5, "signed by key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := build(t, 23, 5, key)
			tc.tamper(src)
			r := verify(t, src, key.Public(), false)
			if r.OK || r.FirstBadSeq != tc.firstBad || r.BadCheckpointSeq != tc.badCP || !strings.Contains(r.Problem, tc.problemHas) {
				t.Fatalf("got ok=%v firstBad=%d badCP=%d problem=%q; want firstBad=%d badCP=%d problem containing %q",
					r.OK, r.FirstBadSeq, r.BadCheckpointSeq, r.Problem, tc.firstBad, tc.badCP, tc.problemHas)
			}
			if r.VerifiedThrough != r.FirstBadSeq-1 {
				t.Fatalf("verified through %d with first bad %d", r.VerifiedThrough, r.FirstBadSeq)
			}
			if r.VerifiedThrough > 0 && r.HeadHash != src.events[r.VerifiedThrough-1].Hash {
				t.Fatalf("head hash %s is not the hash of event %d", r.HeadHash, r.VerifiedThrough)
			}
		})
	}
}

func TestVerifyFromLastCheckpoint(t *testing.T) {
	key, _ := domain.NewKey(bytes.Repeat([]byte{1}, 32))
	var h domain.Hasher
	t.Run("catches a rewrite that reaches the checkpoint", func(t *testing.T) {
		src := build(t, 23, 5, key)
		src.events[2].ActorID = "mallory"
		prev := src.events[1].Hash
		for i := 2; i < len(src.events); i++ {
			h.Seal(&src.events[i], prev)
			prev = src.events[i].Hash
		}
		r := verify(t, src, key.Public(), true)
		if r.OK || r.BadCheckpointSeq != 23 || r.FirstBadSeq != 21 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("catches a change after the checkpoint", func(t *testing.T) {
		src := build(t, 23, 5, key)
		src.cps = src.cps[:4] // checkpoints 5..20
		src.events[21].Action = "other"
		r := verify(t, src, key.Public(), true)
		if r.OK || r.FirstBadSeq != 22 || r.StartSeq != 20 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("trusts an in-place change before the checkpoint (use the full walk)", func(t *testing.T) {
		src := build(t, 23, 5, key)
		src.events[2].ActorID = "mallory"
		if r := verify(t, src, key.Public(), true); !r.OK {
			t.Fatalf("%+v", r)
		}
		if r := verify(t, src, key.Public(), false); r.OK || r.FirstBadSeq != 3 {
			t.Fatalf("full walk: %+v", r)
		}
	})
	t.Run("checks every signature", func(t *testing.T) {
		src := build(t, 23, 5, key)
		src.cps[1].Signature = []byte("nope")
		if r := verify(t, src, key.Public(), true); r.OK || r.BadCheckpointSeq != 10 || r.FirstBadSeq != 6 {
			t.Fatalf("%+v", r)
		}
	})
}

func b64(b []byte) string {
	return strings.TrimSpace(string(must(json.Marshal(b)))[1 : len(must(json.Marshal(b)))-1])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
