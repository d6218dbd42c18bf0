import { useState } from "preact/hooks";
import { api, download, errorText, must, type S } from "../api/client";
import { setQuery } from "../router";
import { Empty, ErrorBox, NextPage, Show, useDirectory, useLoad, when } from "../ui";

const fields = ["requestId", "subject", "actorId", "since", "until"] as const;

/** Audit (admins): the signed checkpoints, a query, verification of the chain and export. */
export function Audit({ query }: { query: URLSearchParams }) {
  const dir = useDirectory();
  const f = Object.fromEntries(fields.map((k) => [k, query.get(k) || ""])) as Record<(typeof fields)[number], string>;
  const page = query.get("page") || "";
  const [form, setForm] = useState(f);
  const [verify, setVerify] = useState<S["v1VerifyAuditEventsResponse"]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Admin, GM only: anyone else gets the API's refusal here, in words.
  const checkpoints = useLoad(() => must(api.GET("/v1/auditCheckpoints", { params: { query: { pageSize: 500 } } })), []);
  const events = useLoad(
    () =>
      must(
        api.GET("/v1/auditEvents", {
          params: { query: { ...Object.fromEntries(Object.entries(f).filter(([, v]) => v)), pageSize: 50, pageToken: page || undefined } },
        }),
      ),
    [query.toString()],
  );

  const exportLog = async () => {
    setError(undefined);
    try {
      await download("/v1/auditEvents:export", "grantflow-audit.jsonl");
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section>
      <h1>Audit</h1>
      <Show l={checkpoints} what="the signed checkpoints">
        {(c) => {
          const last = (c.checkpoints ?? []).at(-1);
          return (
            <div class="card">
              <p>
                {(c.checkpoints ?? []).length} signed checkpoints
                {last && (
                  <>
                    ; the last at seq {last.seq}, {when(last.time)}
                  </>
                )}
                .
              </p>
              <div class="buttons">
                <button
                  type="button"
                  disabled={busy}
                  onClick={async () => {
                    setBusy(true);
                    setError(undefined);
                    try {
                      setVerify(await must(api.POST("/v1/auditEvents:verify", { body: {} })));
                    } catch (e) {
                      setError(errorText(e));
                    } finally {
                      setBusy(false);
                    }
                  }}
                >
                  Verify the chain
                </button>
                <button type="button" class="secondary" onClick={() => void exportLog()}>
                  Export (JSON lines)
                </button>
              </div>
              {verify && (
                <p class={verify.ok ? "ok" : "error"} role="status" data-testid="verify">
                  {verify.ok
                    ? `The chain is intact: ${verify.eventsChecked} events and ${verify.checkpointsChecked} checkpoints verified through seq ${verify.verifiedThrough}.`
                    : `The chain is broken at seq ${verify.firstBadSeq}: ${verify.problem}`}
                  <br />
                  <span class="muted hash">head {verify.headHash}</span>
                </p>
              )}
              <ErrorBox error={error} />
            </div>
          );
        }}
      </Show>
      {checkpoints.data && (
        <>
          <h2>Query</h2>
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setQuery("/audit", form);
            }}
          >
            {fields.map((k) => (
              <span key={k}>
                <label htmlFor={`au-${k}`}>{k === "since" || k === "until" ? `${k} (RFC 3339)` : k}</label>
                <input id={`au-${k}`} value={form[k]} onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })} />
              </span>
            ))}
            <button type="submit">Search</button>
          </form>
          <Show l={events} what="audit events">
            {(r) =>
              (r.auditEvents ?? []).length === 0 ? (
                <Empty>No event matches.</Empty>
              ) : (
                <>
                  <div class="scroll">
                    <table data-testid="audit">
                      <thead>
                        <tr>
                          <th scope="col">Seq</th>
                          <th scope="col">Time</th>
                          <th scope="col">Action</th>
                          <th scope="col">Subject</th>
                          <th scope="col">Actor</th>
                          <th scope="col">Hash</th>
                        </tr>
                      </thead>
                      <tbody>
                        {(r.auditEvents ?? []).map((e) => (
                          <tr key={e.id}>
                            <td>{e.seq}</td>
                            <td>{when(e.time)}</td>
                            <td>{e.action}</td>
                            <td>
                              <code>{e.subject}</code>
                            </td>
                            <td>{dir.userName(e.actorId) || e.service}</td>
                            <td class="hash">{e.hash?.slice(0, 12)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <NextPage token={r.nextPageToken} label="Pages of events" go={(page) => setQuery("/audit", { ...f, page })} />
                </>
              )
            }
          </Show>
        </>
      )}
    </section>
  );
}
