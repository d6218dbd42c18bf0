import { useState } from "preact/hooks";
import { api, download, errorText, must, type S } from "../api/client";
import { Link, setQuery } from "../router";
import { Badge, Empty, ErrorBox, NextPage, Notice, Show, useDirectory, useLoad, useSession, when, words } from "../ui";

type Campaign = S["v1AccessReview"];
type Item = S["v1AccessReviewItem"];
type CStatus = "DRAFT" | "ACTIVE" | "CLOSED";
type IStatus = "PENDING" | "DECIDED" | "BLOCKED" | "NOT_REVIEWED";
type Kind = "MANAGER" | "APP_OWNER" | "USERS";

const campaignStatuses = ["", "DRAFT", "ACTIVE", "CLOSED"];
const itemStatuses = ["", "PENDING", "DECIDED", "BLOCKED", "NOT_REVIEWED"];

/**
 * Access reviews: campaigns with their progress (admins create, launch, close and export
 * them), and a campaign's items, each decided keep, change or remove by its reviewers. The
 * API shows a reviewer only the campaigns they have items in, and only their own items.
 */
export function Reviews({ query }: { query: URLSearchParams }) {
  const sess = useSession();
  const f = {
    status: query.get("status") || "",
    campaign: query.get("campaign") || "",
    items: query.get("items") || "",
    whose: sess.isAdmin ? query.get("whose") || "" : "mine",
    page: query.get("page") || "",
  };
  const set = (v: Partial<typeof f>) => setQuery("/reviews", { ...f, page: "", ...v, whose: sess.isAdmin ? (v.whose ?? f.whose) : "" });
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const campaigns = useLoad(
    () => must(api.GET("/v1/accessReviews", { params: { query: { status: (f.status || undefined) as CStatus | undefined, pageSize: 200 } } })),
    [f.status],
  );
  const run = async (what: string, fn: () => Promise<unknown>) => {
    setError(undefined);
    setNotice(undefined);
    try {
      await fn();
      setNotice(what);
      campaigns.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const selected = (campaigns.data?.accessReviews ?? []).find((c) => c.id === f.campaign);

  return (
    <section>
      <h1>Access reviews</h1>
      <form class="filters" aria-label="Campaign filters" onSubmit={(e) => e.preventDefault()}>
        <StatusChoice id="ar-status" label="Campaigns" value={f.status} statuses={campaignStatuses} onChange={(status) => set({ status })} />
        <button type="button" class="secondary" onClick={() => campaigns.reload()}>
          Refresh
        </button>
      </form>
      <Notice text={notice} />
      <ErrorBox error={error} />
      <Show l={campaigns} what="campaigns">
        {(r) =>
          (r.accessReviews ?? []).length === 0 ? (
            <Empty>{sess.isAdmin ? "No campaign yet: create one below." : "No campaign asks you to review anything."}</Empty>
          ) : (
            <div class="scroll">
              <table data-testid="campaigns" class="stack">
                <thead>
                  <tr>
                    <th scope="col">Campaign</th>
                    <th scope="col">Status</th>
                    <th scope="col">Due</th>
                    <th scope="col">Progress</th>
                    {sess.isAdmin && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {(r.accessReviews ?? []).map((c) => (
                    <CampaignRow key={c.id} c={c} selected={c.id === f.campaign} query={{ ...f, campaign: c.id ?? "", items: "", page: "" }} run={run} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      {selected && <Items campaign={selected} f={f} set={set} onDecided={() => campaigns.reload()} />}
      {f.campaign && campaigns.data && !selected && <ErrorBox error="Not found: no campaign you may see has this id." />}
      {sess.isAdmin && <NewCampaign
          onCreated={(c) => {
            setNotice(`${c.name} was created: launch it to open its items.`);
            campaigns.reload();
            set({ campaign: c.id ?? "", status: "", items: "" });
          }}
        />}
    </section>
  );
}

function StatusChoice({ id, label, value, statuses, onChange }: { id: string; label: string; value: string; statuses: string[]; onChange: (v: string) => void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {statuses.map((s) => (
          <option key={s} value={s}>
            {s ? words(s) : "any status"}
          </option>
        ))}
      </select>
    </>
  );
}

function progressOf(c: Campaign) {
  const n = (s?: string) => Number(s ?? 0);
  const p = c.progress ?? {};
  const total = n(p.total);
  const decided = n(p.kept) + n(p.changed) + n(p.removed);
  return { total, decided, text: `${decided} of ${total} decided (${n(p.kept)} kept, ${n(p.changed)} changed, ${n(p.removed)} removed; ${n(p.pending)} pending, ${n(p.blocked)} blocked, ${n(p.notReviewed)} not reviewed)` };
}

function CampaignRow({ c, selected, query, run }: { c: Campaign; selected: boolean; query: Record<string, string>; run: (what: string, fn: () => Promise<unknown>) => Promise<void> }) {
  const sess = useSession();
  const id = c.id ?? "";
  const p = progressOf(c);
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
  return (
    <tr aria-current={selected ? "true" : undefined}>
      <td>
        <Link href={`/reviews?${q}`}>{c.name}</Link>
        {c.description && <div class="muted">{c.description}</div>}
      </td>
      <td data-label="Status">
        <Badge value={c.status} />
      </td>
      <td data-label="Due">{when(c.dueTime) || <span class="muted">none</span>}</td>
      <td data-label="Progress">
        {c.status === "DRAFT" ? (
          <span class="muted">not launched</span>
        ) : (
          <>
            <progress max={p.total || 1} value={p.decided} aria-label={`Progress of ${c.name}`} />
            <div class="hint">{p.text}</div>
          </>
        )}
      </td>
      {sess.isAdmin && (
        <td>
          <div class="buttons">
            {c.status === "DRAFT" && (
              <button type="button" onClick={() => void run(`${c.name} is launched.`, () => must(api.POST("/v1/accessReviews/{id}:launch", { params: { path: { id } }, body: {} })))}>
                Launch
              </button>
            )}
            {c.status === "ACTIVE" && (
              <button type="button" class="danger" onClick={() => void run(`${c.name} is closed.`, () => must(api.POST("/v1/accessReviews/{id}:close", { params: { path: { id } }, body: {} })))}>
                Close
              </button>
            )}
            {c.status !== "DRAFT" && (
              <button type="button" class="secondary" onClick={() => void run(`${c.name} was exported.`, () => download(`/v1/accessReviews/${encodeURIComponent(id)}:export`, `access-review-${id}.csv`))}>
                Export CSV
              </button>
            )}
          </div>
        </td>
      )}
    </tr>
  );
}

type F = { status: string; campaign: string; items: string; whose: string; page: string };

function Items({ campaign, f, set, onDecided }: { campaign: Campaign; f: F; set: (v: Partial<F>) => void; onDecided: () => void }) {
  const sess = useSession();
  const [notice, setNotice] = useState<string>();
  const id = campaign.id ?? "";
  const items = useLoad(
    () =>
      must(
        api.GET("/v1/accessReviews/{accessReviewId}/items", {
          params: {
            path: { accessReviewId: id },
            query: {
              reviewerId: f.whose === "mine" ? sess.me.user?.id : undefined,
              status: (f.items || undefined) as IStatus | undefined,
              pageSize: 100,
              pageToken: f.page || undefined,
            },
          },
        }),
      ),
    // Launching fills a campaign with items, and deciding changes its progress: reread then.
    [id, f.items, f.whose, f.page, campaign.status, campaign.progress?.total],
  );
  return (
    <>
      <h2>Items of {campaign.name}</h2>
      <form class="filters" aria-label="Item filters" onSubmit={(e) => e.preventDefault()}>
        <StatusChoice id="ar-items" label="Items" value={f.items} statuses={itemStatuses} onChange={(items) => set({ items })} />
        {sess.isAdmin && (
          <>
            <label htmlFor="ar-whose">Reviewer</label>
            <select id="ar-whose" value={f.whose} onChange={(e) => set({ whose: e.currentTarget.value })}>
              <option value="">anyone</option>
              <option value="mine">me</option>
            </select>
          </>
        )}
        <button type="button" class="secondary" onClick={() => items.reload()}>
          Refresh items
        </button>
      </form>
      <Notice text={notice} />
      <Show l={items} what="the campaign's items">
        {(r) =>
          (r.items ?? []).length === 0 ? (
            <Empty>{campaign.status === "DRAFT" ? "The campaign has no items until it is launched." : "No item matches."}</Empty>
          ) : (
            <>
              <ul class="cards" data-testid="review-items">
                {(r.items ?? []).map((it) => (
                  <ItemCard
                    key={it.id}
                    item={it}
                    active={campaign.status === "ACTIVE"}
                    onDone={(msg) => {
                      setNotice(msg);
                      items.reload();
                      onDecided();
                    }}
                  />
                ))}
              </ul>
              <NextPage token={r.nextPageToken} label="Pages of items" go={(page) => set({ page })} />
            </>
          )
        }
      </Show>
    </>
  );
}

/** BlockedReason links the open request a reason names ("open request ID on the app"). */
function BlockedReason({ reason }: { reason?: string }) {
  const m = /^(.*open request )(\S+)( .*)?$/.exec(reason ?? "");
  if (!m) return <>{reason || "no reason given"}</>;
  return (
    <>
      {m[1]}
      <Link href={`/requests/${encodeURIComponent(m[2])}`}>{m[2]}</Link>
      {m[3] ?? ""}
    </>
  );
}

const decided: Record<string, string> = { KEEP: "Kept", CHANGE: "Changed", REMOVE: "Removed" };

function ItemCard({ item, active, onDone }: { item: Item; active: boolean; onDone: (msg: string) => void }) {
  const dir = useDirectory();
  const sess = useSession();
  const [justification, setJustification] = useState("");
  const [permission, setPermission] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = item.id ?? "";
  const who = item.userDisplayName || dir.userName(item.userId);
  const app = item.appName || dir.appName(item.appId);
  const mayDecide = active && item.status === "PENDING" && (sess.isAdmin || (item.reviewerIds ?? []).includes(sess.me.user?.id ?? ""));
  const others = (dir.apps.get(item.appId ?? "")?.permissions ?? []).map((p) => p.name ?? "").filter((p) => p && p !== item.permission);
  const decide = async (decision: "KEEP" | "CHANGE" | "REMOVE") => {
    setBusy(true);
    setError(undefined);
    try {
      await must(
        api.POST("/v1/accessReviews/{accessReviewId}/items/{itemId}:decide", {
          params: { path: { accessReviewId: item.campaignId ?? "", itemId: id } },
          body: { decision, permission: decision === "CHANGE" ? permission : undefined, justification },
        }),
      );
      onDone(`${decided[decision]}: ${who}, ${app} ${item.permission}${decision === "CHANGE" ? ` → ${permission}` : ""}.`);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  const field = `ri-${id}`;
  return (
    <li class="card item" data-item={id}>
      <div class="row">
        <h3>
          {who}: {app} <code>{item.permission}</code>
        </h3>
        <Badge value={item.status} />
      </div>
      <dl class="facts">
        <dt>Who</dt>
        <dd>
          {who}
          {item.userEmail && <span class="muted"> ({item.userEmail})</span>}
        </dd>
        <dt>Granted</dt>
        <dd>{when(item.grantTime) || <span class="muted">unknown</span>}</dd>
        <dt>Reviewers</dt>
        <dd>{(item.reviewerIds ?? []).map((r) => dir.userName(r)).join(", ") || <span class="muted">none</span>}</dd>
        {item.status === "BLOCKED" && (
          <>
            <dt>Blocked</dt>
            <dd class="reason">
              <BlockedReason reason={item.blockedReason} />
            </dd>
          </>
        )}
      </dl>
      {item.decision && item.decision !== "DECISION_UNSPECIFIED" && (
        <p class="muted">
          {decided[item.decision]}
          {item.decision === "CHANGE" && item.newPermission ? ` to ${item.newPermission}` : ""} by {dir.userName(item.decidedBy)}, {when(item.decideTime)}
          {item.justification ? `: “${item.justification}”` : ""}
          {item.requestId && (
            <>
              {" "}
              — <Link href={`/requests/${item.requestId}`}>its request</Link>
              {item.requestStatus ? ` (${words(item.requestStatus)})` : ""}
            </>
          )}
        </p>
      )}
      {mayDecide && (
        <div class="decide">
          <label htmlFor={`${field}-why`}>Justification</label>
          <textarea id={`${field}-why`} rows={2} value={justification} onInput={(e) => setJustification(e.currentTarget.value)} />
          <label htmlFor={`${field}-perm`}>New permission (to change)</label>
          <select id={`${field}-perm`} value={permission} onChange={(e) => setPermission(e.currentTarget.value)}>
            <option value="">Choose a permission…</option>
            {others.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          <div class="buttons">
            <button type="button" disabled={busy} onClick={() => void decide("KEEP")}>
              Keep
            </button>
            <button type="button" class="secondary" disabled={busy || !permission} onClick={() => void decide("CHANGE")}>
              Change
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => void decide("REMOVE")}>
              Remove
            </button>
          </div>
        </div>
      )}
      <ErrorBox error={error} />
    </li>
  );
}

function NewCampaign({ onCreated }: { onCreated: (c: Campaign) => void }) {
  const dir = useDirectory();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [kind, setKind] = useState<Kind>("MANAGER");
  const [apps, setApps] = useState<string[]>([]);
  const [users, setUsers] = useState<string[]>([]);
  const [due, setDue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  return (
    <form
      class="card"
      aria-labelledby="nc-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          const c = await must(
            api.POST("/v1/accessReviews", {
              body: {
                name,
                description,
                scope: { appIds: apps },
                reviewer: { kind, userIds: kind === "USERS" ? users : [] },
                // The due date's end, in the browser's time zone.
                dueTime: due ? new Date(`${due}T23:59:59`).toISOString() : undefined,
              },
            }),
          );
          setName("");
          setDescription("");
          onCreated(c);
        } catch (err) {
          setError(errorText(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="nc-title">New campaign</h2>
      <label htmlFor="nc-name">Name</label>
      <input id="nc-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <label htmlFor="nc-desc">Description</label>
      <textarea id="nc-desc" rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      <fieldset class="choices">
        <legend>Apps (none chosen: every active app)</legend>
        {[...dir.apps.values()].map((a) => (
          <label key={a.id} class="check">
            <input type="checkbox" checked={apps.includes(a.id ?? "")} onChange={() => setApps(toggle(apps, a.id ?? ""))} /> {a.name}
          </label>
        ))}
      </fieldset>
      <label htmlFor="nc-kind">Reviewers</label>
      <select id="nc-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
        <option value="MANAGER">each person's manager</option>
        <option value="APP_OWNER">each app's owners</option>
        <option value="USERS">the people chosen below</option>
      </select>
      {kind === "USERS" && (
        <fieldset class="choices">
          <legend>Reviewing people</legend>
          {[...dir.users.values()].map((u) => (
            <label key={u.id} class="check">
              <input type="checkbox" checked={users.includes(u.id ?? "")} onChange={() => setUsers(toggle(users, u.id ?? ""))} /> {u.displayName}
            </label>
          ))}
        </fieldset>
      )}
      <label htmlFor="nc-due">Due (optional)</label>
      <input id="nc-due" type="date" value={due} onInput={(e) => setDue(e.currentTarget.value)} />
      <div class="buttons">
        <button type="submit" disabled={busy || !name.trim()}>
          Create campaign
        </button>
      </div>
      <ErrorBox error={error} />
    </form>
  );
}
