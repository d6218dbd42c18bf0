import { render, type ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { all, api, errorText, must, session, type App, type Me, type User } from "./api/client";
import { Link, navigate, useLocation } from "./router";
import { DirectoryCtx, ErrorBox, Loading, SessionCtx, useSession, words, type Directory, type Session } from "./ui";
import { SignIn } from "./pages/SignIn";
import { Inbox } from "./pages/Inbox";
import { RequestAccess } from "./pages/RequestAccess";
import { Requests } from "./pages/Requests";
import { RequestPage } from "./pages/RequestPage";
import { Policies } from "./pages/Policies";
import { PolicyPage } from "./pages/PolicyPage";
import { NewPolicy } from "./pages/NewPolicy";
import { People } from "./pages/People";
import { Apps } from "./pages/Apps";
import { Audit } from "./pages/Audit";
import { Reviews } from "./pages/Reviews";
import { CALLBACK, finishOIDC } from "./oidc";
import "./style.css";

function Shell() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string>();
  const loc = useLocation();
  const [checking, setChecking] = useState(!!session.key() || loc.path === CALLBACK);

  const signIn = async (key: string) => {
    session.set(key);
    try {
      setMe(await must(api.GET("/v1/me")));
      setError(undefined);
    } catch (e) {
      session.clear();
      setMe(null);
      throw e;
    }
  };
  useEffect(() => {
    if (loc.path === CALLBACK) {
      // Back from the OIDC issuer: exchange the code, then go where the person was going.
      setChecking(true);
      finishOIDC(loc.query)
        .then(async ({ token, returnTo }) => {
          await signIn(token);
          navigate(returnTo && returnTo !== CALLBACK ? returnTo : "/inbox", true);
        })
        .catch((e) => {
          setError(errorText(e));
          navigate("/", true);
        })
        .finally(() => setChecking(false));
      return;
    }
    const k = session.key();
    if (k)
      signIn(k)
        .catch((e) => setError(errorText(e)))
        .finally(() => setChecking(false));
  }, []);

  const sess = useMemo<Session | null>(() => {
    if (!me) return null;
    const caps = new Set(me.capabilities ?? []);
    return {
      me,
      isAdmin: me.user?.role === "ADMIN" || me.user?.role === "GENERAL_MANAGER",
      can: (c) => caps.has(c),
      signOut: () => {
        session.clear();
        setMe(null);
        navigate("/");
      },
    };
  }, [me]);

  if (checking) return <Loading what="your session" />;
  if (!sess)
    return (
      <main id="main" class="signin">
        <ErrorBox error={error} />
        <SignIn onKey={signIn} />
      </main>
    );
  return (
    <SessionCtx.Provider value={sess}>
      <DirectoryProvider>
        <Frame path={loc.path} query={loc.query} />
      </DirectoryProvider>
    </SessionCtx.Provider>
  );
}

function DirectoryProvider({ children }: { children: ComponentChildren }) {
  const [users, setUsers] = useState(new Map<string, User>());
  const [apps, setApps] = useState(new Map<string, App>());
  const [loaded, setLoaded] = useState(false);
  const [n, setN] = useState(0);
  useEffect(() => {
    all(async (pageToken) => {
      const r = await must(api.GET("/v1/users", { params: { query: { pageSize: 500, pageToken } } }));
      return { items: r.users ?? [], next: r.nextPageToken };
    })
      .then((us) => setUsers(new Map(us.map((u) => [u.id ?? "", u]))))
      .catch(() => {});
    all(async (pageToken) => {
      const r = await must(api.GET("/v1/apps", { params: { query: { pageSize: 500, pageToken } } }));
      return { items: r.apps ?? [], next: r.nextPageToken };
    })
      .then((as) => setApps(new Map(as.map((a) => [a.id ?? "", a]))))
      .catch(() => {})
      .finally(() => setLoaded(true));
  }, [n]);
  const dir = useMemo<Directory>(
    () => ({
      loaded,
      users,
      apps,
      // Identity shows a user only themselves, their manager and reports (Admin, GM: all):
      // someone else is named by the end of their id.
      userName: (id) => (id ? (users.get(id)?.displayName ?? `user …${id.slice(-6)}`) : ""),
      appName: (id) => (id ? (apps.get(id)?.name ?? id) : ""),
      reload: () => setN((x) => x + 1),
    }),
    [users, apps, loaded],
  );
  return <DirectoryCtx.Provider value={dir}>{children}</DirectoryCtx.Provider>;
}

const nav: { href: string; label: string; admin?: boolean }[] = [
  { href: "/inbox", label: "Inbox" },
  { href: "/request", label: "Request access" },
  { href: "/requests", label: "Requests" },
  { href: "/policies", label: "Policies" },
  { href: "/reviews", label: "Access reviews" },
  { href: "/people", label: "People", admin: true },
  { href: "/apps", label: "Apps", admin: true },
  { href: "/audit", label: "Audit", admin: true },
];

function Frame({ path, query }: { path: string; query: URLSearchParams }) {
  const sess = useSession();
  return (
    <>
      <header class="top">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <Link href="/inbox" class="brand">
          Grantflow
        </Link>
        <nav aria-label="Pages">
          <ul>
            {nav
              .filter((n) => !n.admin || sess.isAdmin)
              .map((n) => (
                <li key={n.href}>
                  <Link href={n.href} aria-current={path === n.href || path.startsWith(n.href + "/") ? "page" : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="whoami">
            {sess.me.user?.displayName} <span class="muted">({words(sess.me.user?.role)})</span>
          </span>
          <button type="button" class="link" onClick={sess.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} query={query} />
      </main>
    </>
  );
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const parts = path.split("/").filter(Boolean);
  switch (parts[0]) {
    case undefined:
    case "inbox":
      return <Inbox query={query} />;
    case "request":
      return <RequestAccess />;
    case "requests":
      return parts[1] ? <RequestPage id={decodeURIComponent(parts[1])} /> : <Requests query={query} />;
    case "policies":
      if (parts[1] === "new") return <NewPolicy />;
      return parts[1] ? <PolicyPage id={decodeURIComponent(parts[1])} query={query} /> : <Policies query={query} />;
    case "reviews":
      return <Reviews query={query} />;
    case "people":
      return <People />;
    case "apps":
      return <Apps />;
    case "audit":
      return <Audit query={query} />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at this address. <Link href="/inbox">Go to the inbox.</Link>
      </p>
    </section>
  );
}

render(<Shell />, document.getElementById("app")!);
