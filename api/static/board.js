// The duty board: open incidents by deadline with live countdowns, and the live alert feed (SSE).
"use strict";

const ACTIONS = {
  discovered: "发现", opened: "新预警", linked: "关联新帖", level: "级别上调", acknowledged: "已确认",
  reported: "已报告", stage: "阶段推进", task: "任务完成", note: "备注", assigned: "指派", closed: "结案",
  breach: "超时", reminder: "提醒", escalation: "升级", alert: "预警通知", undeliverable: "无法送达",
  sensitive_period: "敏感时期", notified: "已通知",
};
// Routine steps take one line; what someone on duty must notice gets the full card.
const MINOR = new Set(["discovered", "notified", "reminder", "task", "note", "assigned", "stage", "alert"]);

// Not yet reported first, nearest deadline first; reported cases (their clock stopped) after them.
function byDeadline(a, b) {
  const ra = a.reported_at ? 1 : 0;
  const rb = b.reported_at ? 1 : 0;
  if (ra !== rb) return ra - rb;
  return new Date(a.report_due_at) - new Date(b.report_due_at);
}

function incidentCard(inc) {
  const card = el("article", `incident lv-${inc.level}`);
  card.dataset.incidentId = inc.id;
  const head = el("div", "incident-head");
  head.append(levelBadge(inc.level, inc.level_name), stageBadge(inc.stage, inc.stage_name));
  if (!inc.acknowledged_at) head.append(el("span", "badge unacked", "未确认"));
  const link = el("a", "incident-title", inc.title);
  link.href = `/incidents/${inc.id}`;
  head.append(link);
  card.append(head, countdown(inc, card));
  const meta = [`单位：${inc.unit_name || "未归属"}`, `来源：${inc.source_name}`, `发现：${fmtTime(inc.discovered_at)}`,
    `相关帖 ${inc.mention_count}`, inc.assigned_to ? `负责：${inc.assigned_name || inc.assigned_to}` : null];
  card.append(el("div", "meta", meta.filter(Boolean).join(" · ")));
  return card;
}

// What the board shows of the incidents; the countdowns tick on the page, so the server's seconds are left out.
function boardKey(incidents) {
  return JSON.stringify(incidents, (k, v) => (k === "seconds_to_deadline" ? undefined : v));
}

let shownBoard = null;
async function loadBoard() {
  const list = document.getElementById("incidents");
  const incidents = await getJSON("/api/v1/incidents?open_only=true&limit=200");
  incidents.sort(byDeadline);
  const key = boardKey(incidents);
  if (key === shownBoard) return;  // unchanged: no flicker, no lost scroll position
  shownBoard = key;
  list.replaceChildren(...(incidents.length ? incidents.map(incidentCard) : [el("p", "meta", "暂无待处置事件")]));
}

async function loadFlagged() {
  const box = document.getElementById("flagged");
  const found = await getJSON("/api/v1/mentions?min_level=1&size=8");
  box.replaceChildren(...(found.hits.length ? found.hits.map((m) => mentionBlock(m, {radius: 50})) : [el("p", "meta", "暂无预警帖子")]));
}

// Schemes and units whose volume jumped; each opens the search for the last hour of it.
async function loadHot() {
  const list = document.getElementById("hot");
  const topics = await getJSON("/api/v1/hot-topics");
  list.replaceChildren(...(topics.length ? topics.map((t) => {
    const li = el("li");
    const a = el("a", null, t.description);
    a.href = `/search?${new URLSearchParams({[t.kind === "scheme" ? "scheme" : "unit"]: t.key, range: "1"})}`;
    li.append(a);
    return li;
  }) : [el("li", "meta", "暂无升温话题")]));
}

// The post behind an event (the incident's first post when it opens, the newest when one is linked), so the
// feed shows why it was flagged.
async function attachPost(li, item) {
  const detail = await getJSON(`/api/v1/incidents/${item.incident.id}`);
  const ids = detail.mention_ids || [];
  const id = item.action === "linked" ? ids[ids.length - 1] : ids[0];
  if (!id) return;
  const mention = await getJSON(`/api/v1/mentions/${encodeURIComponent(id)}`);
  li.append(mentionBlock(mention, {radius: 60}));
}

let refresh = null;
function refreshSoon() {
  clearTimeout(refresh);
  refresh = setTimeout(() => {
    loadBoard().catch(console.error);
    loadFlagged().catch(console.error);
    loadHot().catch(console.error);
  }, 300);
}

function feedItem(item, live) {
  const inc = item.incident;
  const minor = MINOR.has(item.action);
  const li = el("li", `feed-item lv-${inc.level}${minor ? " minor" : ""}${live && !minor ? " fresh" : ""}`);
  li.dataset.action = item.action;
  li.dataset.incidentId = inc.id;
  const head = el("div", "feed-head");
  head.append(levelBadge(inc.level, inc.level_name), el("span", `badge act act-${item.action}`, ACTIONS[item.action] || item.action));
  const link = el("a", null, inc.title);
  link.href = `/incidents/${inc.id}`;
  head.append(link);
  li.append(head, el("div", "meta", `${fmtTime(item.at)} ${item.actor}：${item.detail}`));
  if (item.action === "opened" || item.action === "linked") attachPost(li, item).catch(console.error);
  return li;
}

function startFeed() {
  const feed = document.getElementById("feed");
  const status = document.getElementById("feed-status");
  const source = new EventSource("/api/v1/feed?backlog=30");
  let settled = false;
  source.addEventListener("hello", () => {
    status.textContent = "实时";
    status.className = "live on";
    // The backlog comes in one burst right after "hello"; later events are news and flash (cosmetic only).
    settled = false;
    setTimeout(() => { settled = true; }, 500);
  });
  source.addEventListener("incident", (ev) => {
    const item = JSON.parse(ev.data);
    feed.prepend(feedItem(item, settled));
    while (feed.children.length > 100) feed.lastChild.remove();
    refreshSoon();
  });
  source.onerror = () => {
    status.textContent = "连接中断，正在重连…";
    status.className = "live off";
  };
}

document.addEventListener("DOMContentLoaded", async () => {
  await loadNames().catch(console.error);
  loadBoard().catch((e) => { document.getElementById("incidents").textContent = "加载失败：" + e.message; });
  loadFlagged().catch((e) => { document.getElementById("flagged").textContent = "加载失败：" + e.message; });
  loadHot().catch((e) => { document.getElementById("hot").replaceChildren(el("li", "error", "加载失败：" + e.message)); });
  startFeed();
  setInterval(() => loadBoard().catch(console.error), 30000);
});
