// The typed client: openapi-fetch over the types that openapi-typescript generates from
// the gateway's OpenAPI document (schema.d.ts). No hand-written wrapper per endpoint.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type S = components["schemas"];
export type User = S["v1User"];
export type App = S["v1App"];
export type Task = S["v1Task"];
export type Req = S["v1Request"];
export type Policy = S["v1Policy"];
export type PolicyVersion = S["v1PolicyVersion"];
export type Workflow = S["v1Workflow"];
export type Step = S["v1Step"];
export type AuditEvent = S["v1AuditEvent"];
export type Me = S["v1GetMeResponse"];

const KEY = "grantflow.apiKey";

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

const bearer: Middleware = {
  onRequest({ request }) {
    const k = session.key();
    if (k) request.headers.set("Authorization", `Bearer ${k}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(bearer);

/** An API refusal, with the gateway's message in words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function describe(status: number, body: unknown): string {
  const m = (body as { message?: string } | undefined)?.message;
  const what: Record<number, string> = {
    400: "Not accepted",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    429: "Too many calls",
  };
  return `${what[status] ?? `Error ${status}`}: ${m || "the server gave no reason"}`;
}

/** must unwraps an openapi-fetch answer: its data, or an ApiError with the API's message. */
export async function must<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r;
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(0, `The gateway could not be reached (${String(e)}).`);
  }
  if (!r.response.ok || r.error !== undefined) throw new ApiError(r.response.status, describe(r.response.status, r.error));
  return r.data as T;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** all pages through a list call (the directory: users, apps), up to a bound. */
export async function all<T>(page: (token: string) => Promise<{ items: T[]; next?: string }>, max = 2000): Promise<T[]> {
  const out: T[] = [];
  let token = "";
  do {
    const { items, next } = await page(token);
    out.push(...items);
    token = next ?? "";
  } while (token && out.length < max);
  return out;
}

/** download fetches an export with the session's credential and saves it as name. */
export async function download(path: string, name: string): Promise<void> {
  let r: Response;
  try {
    r = await fetch(path, { headers: { Authorization: `Bearer ${session.key()}` } });
  } catch (e) {
    throw new ApiError(0, `The gateway could not be reached (${String(e)}).`);
  }
  if (!r.ok) throw new ApiError(r.status, describe(r.status, await r.json().catch(() => undefined)));
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
