import { api, must } from "../api/client";
import { Link, setQuery } from "../router";
import { Badge, Empty, Show, useDirectory, useLoad, useSession, when, words } from "../ui";

const statuses = ["", "IN_PROGRESS", "DONE", "DECLINED", "CANCELLED", "FAILED"];
const types = ["", "GRANT_ACCESS", "CHANGE_PERMISSION", "REMOVE_ACCESS", "ADD_APP", "ARCHIVE_APP"];
type RStatus = "IN_PROGRESS" | "DONE" | "DECLINED" | "CANCELLED" | "FAILED";
type RType = "GRANT_ACCESS" | "CHANGE_PERMISSION" | "REMOVE_ACCESS" | "ADD_APP" | "ARCHIVE_APP";

/** My requests and the request log, with filters held in the URL. */
export function Requests({ query }: { query: URLSearchParams }) {
  const dir = useDirectory();
  const { me } = useSession();
  const f = {
    view: query.get("view") || "mine",
    status: query.get("status") || "",
    type: query.get("type") || "",
    appId: query.get("appId") || "",
    targetUserId: query.get("targetUserId") || "",
    page: query.get("page") || "",
  };
  const set = (k: string, v: string) => setQuery("/requests", { ...f, page: "", [k]: v });
  const l = useLoad(
    () =>
      must(
        api.GET("/v1/requests", {
          params: {
            query: {
              requesterId: f.view === "mine" ? me.user?.id : undefined,
              status: (f.status || undefined) as RStatus | undefined,
              type: (f.type || undefined) as RType | undefined,
              appId: f.appId || undefined,
              targetUserId: f.targetUserId || undefined,
              pageSize: 25,
              pageToken: f.page || undefined,
            },
          },
        }),
      ),
    [query.toString()],
  );
  const apps = [...dir.apps.values()];
  const users = [...dir.users.values()];
  return (
    <section>
      <h1>{f.view === "mine" ? "My requests" : "Request log"}</h1>
      <div class="tabs" role="group" aria-label="Which requests">
        <button type="button" aria-pressed={f.view === "mine"} onClick={() => set("view", "mine")}>
          Mine
        </button>
        <button type="button" aria-pressed={f.view === "log"} onClick={() => set("view", "log")}>
          All I may see
        </button>
      </div>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="rq-status">Status</label>
        <select id="rq-status" value={f.status} onChange={(e) => set("status", e.currentTarget.value)}>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {s ? words(s) : "any"}
            </option>
          ))}
        </select>
        <label htmlFor="rq-type">Type</label>
        <select id="rq-type" value={f.type} onChange={(e) => set("type", e.currentTarget.value)}>
          {types.map((s) => (
            <option key={s} value={s}>
              {s ? words(s) : "any"}
            </option>
          ))}
        </select>
        <label htmlFor="rq-app">App</label>
        <select id="rq-app" value={f.appId} onChange={(e) => set("appId", e.currentTarget.value)}>
          <option value="">any</option>
          {apps.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
        <label htmlFor="rq-user">For</label>
        <select id="rq-user" value={f.targetUserId} onChange={(e) => set("targetUserId", e.currentTarget.value)}>
          <option value="">anyone</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.displayName}
            </option>
          ))}
        </select>
      </form>
      <Show l={l} what="requests">
        {(r) =>
          (r.requests ?? []).length === 0 ? (
            <Empty>No request matches. {f.view === "mine" && <Link href="/request">Request access.</Link>}</Empty>
          ) : (
            <>
              <div class="scroll">
                <table data-testid="requests">
                  <thead>
                    <tr>
                      <th scope="col">Request</th>
                      <th scope="col">For</th>
                      <th scope="col">App</th>
                      <th scope="col">Status</th>
                      <th scope="col">Opened</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(r.requests ?? []).map((q) => (
                      <tr key={q.id}>
                        <td>
                          <Link href={`/requests/${q.id}`}>
                            {words(q.type)} {q.permission}
                          </Link>
                        </td>
                        <td>{dir.userName(q.targetUserId)}</td>
                        <td>{dir.appName(q.appId) || q.newApp?.name}</td>
                        <td>
                          <Badge value={q.status} />
                        </td>
                        <td>{when(q.createTime)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages of requests">
                {f.page && <Link href={`/requests?${new URLSearchParams({ ...f, page: "" }).toString()}`}>First page</Link>}
                {r.nextPageToken && <Link href={`/requests?${new URLSearchParams({ ...f, page: r.nextPageToken }).toString()}`}>Next page</Link>}
              </nav>
            </>
          )
        }
      </Show>
    </section>
  );
}
