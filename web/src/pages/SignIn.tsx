import { useEffect, useState } from "preact/hooks";
import { errorText } from "../api/client";
import { BASE } from "../router";
import { CALLBACK, oidcConfig, startOIDC, type OIDCConfig } from "../oidc";
import { ErrorBox } from "../ui";

interface DemoPerson {
  handle: string;
  name: string;
  role: string;
  note: string;
  key: string;
}

/** Sign-in: paste an API key; with a seeded demo, its people are one click away. */
export function SignIn({ onKey }: { onKey: (key: string) => Promise<void> }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<DemoPerson[]>([]);
  const [oidc, setOidc] = useState<OIDCConfig | null>(null);

  useEffect(() => {
    // Not part of the public API: the all-in-one process offers its demo's keys here,
    // only when it seeded the demo (404 otherwise).
    fetch(`${BASE}/demo-people.json`, { credentials: "omit" })
      .then((r) => (r.ok ? r.json() : { people: [] }))
      .then((b: { people?: DemoPerson[] }) => setDemo(b.people ?? []))
      .catch(() => setDemo([]));
    oidcConfig()
      .then(setOidc)
      .catch(() => setOidc(null));
  }, []);

  const here = () => {
    const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
    return path === "" || path === "/" || path === CALLBACK ? "/inbox" : path + location.search;
  };

  const go = async (k: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await onKey(k.trim());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow">
      <h1>Sign in to Grantflow</h1>
      {oidc && (
        <div class="oidc">
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              setError(undefined);
              startOIDC(here()).catch((e) => {
                setError(errorText(e));
                setBusy(false);
              });
            }}
          >
            Sign in with single sign-on
          </button>
          <p class="hint">
            OpenID Connect at <span class="hash">{oidc.issuer}</span>
          </p>
          <p class="hint">Or paste an API key:</p>
        </div>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void go(key);
        }}
      >
        <label htmlFor="apikey">API key</label>
        <input id="apikey" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <p class="hint">The key is kept in this tab only (session storage) and forgotten when you sign out.</p>
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
      {demo.length > 0 && (
        <div class="demo">
          <h2>Demo people</h2>
          <p class="hint">This process seeded a demo organization. Sign in as one of its people:</p>
          <ul class="plain">
            {demo.map((p) => (
              <li key={p.handle}>
                <button type="button" class="secondary" disabled={busy} onClick={() => void go(p.key)}>
                  Sign in as {p.name}
                </button>{" "}
                <span class="muted">
                  {p.role}
                  {p.note ? ` — ${p.note}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
