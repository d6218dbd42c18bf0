import { useEffect, useState } from "preact/hooks";
import { api, errorText, must, type S } from "../api/client";
import { Link, navigate } from "../router";
import { Empty, ErrorBox, Loading, Show, useDirectory, useLoad, useSession, when } from "../ui";

/** Request access: the app catalog, a permission, a reason; and the caller's accesses. */
export function RequestAccess() {
  const dir = useDirectory();
  const { me } = useSession();
  const apps = [...dir.apps.values()].filter((a) => a.status !== "ARCHIVED").sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));
  const [appId, setAppId] = useState("");
  const [permission, setPermission] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [governs, setGoverns] = useState<S["v1ResolvePolicyResponse"]>();
  const app = dir.apps.get(appId);

  useEffect(() => {
    setGoverns(undefined);
    if (!appId || !permission) return;
    must(api.POST("/v1/policies:resolve", { body: { requestType: "GRANT_ACCESS", appId, permission } }))
      .then(setGoverns)
      .catch(() => {});
  }, [appId, permission]);

  const mine = useLoad(() => must(api.GET("/v1/accesses", { params: { query: { userId: me.user?.id, pageSize: 200 } } })), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await must(
        api.POST("/v1/requests", {
          body: { requestId: crypto.randomUUID(), type: "GRANT_ACCESS", targetUserId: me.user?.id, appId, permission, reason },
        }),
      );
      navigate(`/requests/${r.id}`);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Request access</h1>
      {!dir.loaded && <Loading what="the app catalog" />}
      {dir.loaded && apps.length === 0 && <Empty>No app is registered yet: an admin registers apps.</Empty>}
      <form class="card" onSubmit={submit}>
        <label htmlFor="ra-app">App</label>
        <select
          id="ra-app"
          required
          value={appId}
          onChange={(e) => {
            setAppId(e.currentTarget.value);
            setPermission("");
          }}
        >
          <option value="">Choose an app…</option>
          {apps.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
        <label htmlFor="ra-perm">Permission</label>
        <select id="ra-perm" required value={permission} disabled={!app} onChange={(e) => setPermission(e.currentTarget.value)}>
          <option value="">Choose a permission…</option>
          {(app?.permissions ?? []).map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
              {p.privileged ? " (privileged)" : ""}
            </option>
          ))}
        </select>
        <label htmlFor="ra-reason">Reason</label>
        <textarea id="ra-reason" rows={3} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        {governs && (
          <p class="hint" data-testid="governs">
            Governed by <Link href={`/policies/${governs.policyId}?version=${governs.version}`}>{governs.policyName}</Link> version {governs.version}:{" "}
            {(governs.workflow?.reviewSteps ?? []).map((s) => s.name).join(", ") || "no review step"}, then {governs.workflow?.actionStep?.name}.
          </p>
        )}
        <button type="submit" disabled={busy || !appId || !permission || !reason.trim()}>
          Submit request
        </button>
        <ErrorBox error={error} />
      </form>
      <h2>My access</h2>
      <Show l={mine} what="your access">
        {(r) =>
          (r.accesses ?? []).length === 0 ? (
            <Empty>You hold no access yet.</Empty>
          ) : (
            <table data-testid="my-access">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Permission</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {(r.accesses ?? []).map((a) => (
                  <tr key={`${a.appId}/${a.permission}`}>
                    <td>{dir.appName(a.appId)}</td>
                    <td>
                      <code>{a.permission}</code>
                    </td>
                    <td>{when(a.grantTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}
