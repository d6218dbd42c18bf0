// OIDC sign-in: the authorization-code flow with PKCE (RFC 7636), run by this tab. The
// gateway redirects to the issuer and exchanges the code (so the page reaches no other
// origin); the ID token becomes the session's bearer credential, which identity verifies
// on every call. The code verifier, state and nonce live in this tab's session storage
// only until the callback.
import { ApiError, describe } from "./api/client";
import { BASE } from "./router";

const FLOW = "grantflow.oidcFlow";
export const CALLBACK = "/oidc/callback";

export interface OIDCConfig {
  issuer: string;
  clientId: string;
}

interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

/** oidcConfig is the gateway's OIDC sign-in configuration, or null when there is none. */
export async function oidcConfig(): Promise<OIDCConfig | null> {
  const r = await fetch(`${BASE}/config.json`, { credentials: "omit" });
  if (!r.ok) return null;
  const b = (await r.json()) as { oidc?: OIDCConfig | null };
  return b.oidc ?? null;
}

function b64url(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return btoa(String.fromCharCode(...u))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${location.origin}${BASE}${CALLBACK}`;

/** startOIDC leaves for the issuer; the callback comes back to returnTo. */
export async function startOIDC(returnTo: string): Promise<void> {
  const flow: Flow = { verifier: random(32), state: random(16), nonce: random(16), returnTo };
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(flow.verifier)));
  sessionStorage.setItem(FLOW, JSON.stringify(flow));
  const q = new URLSearchParams({ state: flow.state, nonce: flow.nonce, codeChallenge: challenge, redirectUri: redirectUri() });
  location.assign(`${BASE}/oidc/authorize?${q}`);
}

/** finishOIDC completes the callback: the ID token and where the person was going. */
export async function finishOIDC(query: URLSearchParams): Promise<{ token: string; returnTo: string }> {
  const raw = sessionStorage.getItem(FLOW);
  sessionStorage.removeItem(FLOW);
  if (query.get("error")) throw new Error(`The identity provider refused the sign-in: ${query.get("error")}${query.get("error_description") ? `: ${query.get("error_description")}` : ""}`);
  const flow = raw ? (JSON.parse(raw) as Flow) : null;
  if (!flow || !query.get("state") || query.get("state") !== flow.state) throw new Error("The sign-in could not be finished: it was not started in this tab. Sign in again.");
  let r: Response;
  try {
    r = await fetch(`${BASE}/oidc/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: query.get("code") ?? "", codeVerifier: flow.verifier, redirectUri: redirectUri() }),
    });
  } catch (e) {
    throw new ApiError(0, `The gateway could not be reached (${String(e)}).`);
  }
  const body = (await r.json().catch(() => undefined)) as { idToken?: string } | undefined;
  if (!r.ok || !body?.idToken) throw new ApiError(r.status, describe(r.status, body));
  // The token must be the answer to this tab's request (the nonce), not a replayed one.
  const part = body.idToken.split(".")[1] ?? "";
  let nonce: unknown;
  try {
    nonce = (JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))) as { nonce?: unknown }).nonce;
  } catch {
    nonce = undefined;
  }
  if (nonce !== flow.nonce) throw new Error("The sign-in could not be finished: the ID token does not answer this tab's request (nonce). Sign in again.");
  return { token: body.idToken, returnTo: flow.returnTo };
}
