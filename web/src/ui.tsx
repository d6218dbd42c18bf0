// Shared pieces: loading and error states, the signed-in person and the directory of
// names (users, apps) that pages show instead of ids.
import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { errorText, type App, type Me, type User } from "./api/client";

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/** useLoad runs load when deps change, and keeps its data, error and loading state. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (e) => live && setState({ error: errorText(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Notice({ text }: { text?: string }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {text ?? ""}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Show renders a loaded value, or its loading state, or its error. */
export function Show<T>({ l, what, children }: { l: Loaded<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (l.error) return <ErrorBox error={l.error} />;
  if (l.data === undefined) return <Loading what={what} />;
  return <>{children(l.data)}</>;
}

export interface Session {
  me: Me;
  isAdmin: boolean;
  can: (capability: string) => boolean;
  signOut: () => void;
}

export const SessionCtx = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionCtx);
  if (!s) throw new Error("no session");
  return s;
}

export interface Directory {
  /** loaded is false until the apps (the catalog) have been read once. */
  loaded: boolean;
  users: Map<string, User>;
  apps: Map<string, App>;
  userName: (id?: string) => string;
  appName: (id?: string) => string;
  reload: () => void;
}

export const DirectoryCtx = createContext<Directory>({
  loaded: false,
  users: new Map(),
  apps: new Map(),
  userName: (id) => id ?? "",
  appName: (id) => id ?? "",
  reload: () => {},
});

export const useDirectory = () => useContext(DirectoryCtx);

export function when(t?: string): string {
  if (!t) return "";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

export function words(e?: string): string {
  return (e ?? "").replaceAll("_", " ").toLowerCase();
}

export function Badge({ value }: { value?: string }) {
  return <span class={`badge b-${(value ?? "").toLowerCase()}`}>{value}</span>;
}

/** NextPage offers the next page of a list when the API gave a token for it. */
export function NextPage({ token, label, go }: { token?: string; label: string; go: (token: string) => void }) {
  if (!token) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="secondary" onClick={() => go(token)}>
        Next page
      </button>
    </nav>
  );
}
