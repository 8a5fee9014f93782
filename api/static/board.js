// The duty board: open incidents by deadline with live countdowns, and the live alert feed (SSE).
"use strict";

const ACTIONS = {
  discovered: "发现", opened: "新预警", linked: "关联新帖", level: "级别上调", acknowledged: "已确认",
  reported: "已报告", stage: "阶段推进", task: "任务完成", note: "备注", assigned: "指派", closed: "结案",
  breach: "超时", reminder: "提醒", escalation: "升级", alert: "预警通知", undeliverable: "无法送达",
  sensitive_period: "敏感时期", notified: "已通知", assessment: "研判意见", advice: "处置建议",
  unreported: "未报告即结案",
};
// Routine steps take one line; what someone on duty must notice gets the full card.
const MINOR = new Set(["discovered", "notified", "reminder", "task", "note", "assigned", "stage", "alert"]);
// The feed's two kinds of rows: posts (a case opens, a post joins it, its level rises) and notifications
// (who was sent what) — the latter crowd the feed, so a commentator can show only the posts.
const POSTS = new Set(["opened", "linked", "level", "discovered"]);
const NOTICES = new Set(["alert", "notified", "reminder", "escalation", "breach", "undeliverable"]);
const TITLE = "舆情监测 · 值班台";
// How many cases a phone shows before "显示全部" (the CSS rule #incidents.capped hides the rest).
const PHONE_CASES = 5;

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
  const facts = el("div", "meta", meta.filter(Boolean).join(" · "));
  // Every case has its 专报 at hand, to read or to send up as a PDF.
  const briefing = el("a", "briefing-link", "专报");
  briefing.href = `/api/v1/briefings/incidents/${inc.id}?format=html`;
  briefing.target = "_blank";
  briefing.rel = "noopener";
  const pdf = el("a", "briefing-link", "PDF");
  pdf.href = `/api/v1/briefings/incidents/${inc.id}?format=pdf`;
  pdf.target = "_blank";
  pdf.rel = "noopener";
  facts.append(" · ", briefing, " ", pdf);
  card.append(facts);
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
  // The tab says how many cases nobody has confirmed yet, so a backgrounded tab still calls for attention.
  const unacked = incidents.filter((i) => !i.acknowledged_at).length;
  showCount(incidents.length, unacked);
  document.title = unacked ? `（${unacked}）未确认 · ${TITLE}` : TITLE;
}

// The count above the cases; on a phone, when there are more than fit, which ones are shown and a button for all.
function showCount(total, unacked) {
  const count = document.getElementById("incidents-count");
  const all = document.getElementById("incidents-all");
  const list = document.getElementById("incidents");
  const phone = window.matchMedia("(max-width: 899px)").matches;
  const capped = phone && list.classList.contains("capped") && total > PHONE_CASES;
  count.hidden = total === 0;
  count.textContent = `共 ${total} 件待处置` + (unacked ? `，${unacked} 件未确认` : "") +
    (capped ? `；显示时限最近的 ${PHONE_CASES} 件` : "");
  all.hidden = total <= PHONE_CASES;
  all.textContent = list.classList.contains("capped") ? `显示全部 ${total} 件` : "只显示时限最近的几件";
}

function toggleAllCases() {
  const list = document.getElementById("incidents");
  list.classList.toggle("capped");
  const total = list.querySelectorAll(".incident").length;
  const unacked = list.querySelectorAll(".incident .badge.unacked").length;
  showCount(total, unacked);
  if (list.classList.contains("capped")) document.querySelector(".incidents-panel").scrollIntoView();
}

// ---- feed filters (kept in this browser) ----

function filters() {
  const f = new FormData(document.getElementById("feed-filters"));
  return {level: Number(f.get("level") || 0), unit: f.get("unit") || "", source: f.get("source") || "", kind: f.get("kind") || ""};
}

function passes(li, want) {
  if (Number(li.dataset.level) < want.level) return false;
  if (want.unit && li.dataset.unit !== want.unit) return false;
  if (want.source && li.dataset.source !== want.source) return false;
  if (want.kind === "posts" && !POSTS.has(li.dataset.action)) return false;
  if (want.kind === "notices" && !NOTICES.has(li.dataset.action)) return false;
  return true;
}

function applyFilters() {
  const want = filters();
  let hidden = 0;
  for (const li of document.getElementById("feed").children) {
    li.hidden = !passes(li, want);
    if (li.hidden) hidden += 1;
  }
  const note = document.getElementById("feed-hidden");
  note.hidden = hidden === 0;
  note.textContent = `已按筛选隐藏 ${hidden} 条动态`;
  localStorage.setItem("yuqing.feedFilters", JSON.stringify(want));
}

function setUpFilters(labels) {
  const form = document.getElementById("feed-filters");
  for (const [name, items] of [["unit", labels.units], ["source", labels.sources]]) {
    const select = form.querySelector(`select[name=${name}]`);
    for (const item of items) {
      const option = el("option", null, item.name);
      option.value = item.id;
      select.append(option);
    }
  }
  try {
    const saved = JSON.parse(localStorage.getItem("yuqing.feedFilters") || "{}");
    for (const [name, value] of Object.entries(saved)) {
      const field = form.elements.namedItem(name);
      if (field && [...field.options].some((o) => o.value === String(value))) field.value = String(value);
    }
  } catch (e) { console.error(e); }
  form.addEventListener("change", applyFilters);
}

// ---- a new 重大+ case: a sound and a desktop notification, unless muted ----

function alertsOn() { return localStorage.getItem("yuqing.alertsMuted") !== "1"; }

function showAlertsToggle() {
  const button = document.getElementById("alerts-toggle");
  button.textContent = alertsOn() ? "提醒：开" : "提醒：静音";
  button.setAttribute("aria-pressed", String(alertsOn()));
}

function beep() {
  // A two-tone chime made on the page: nothing to download, works offline.
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  const ctx = new Context();
  [[880, 0], [660, 0.25], [880, 0.5]].forEach(([freq, at]) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.2, ctx.currentTime + at);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.22);
    osc.connect(gain).connect(ctx.destination);
    osc.start(ctx.currentTime + at);
    osc.stop(ctx.currentTime + at + 0.23);
  });
  setTimeout(() => ctx.close(), 1200);
}

function announce(item) {
  const inc = item.incident;
  if (!alertsOn()) return;
  window.yuqingAlerted = (window.yuqingAlerted || 0) + 1;  // how many chimes: read by the browser test
  try { beep(); } catch (e) { console.error(e); }
  if ("Notification" in window && Notification.permission === "granted") {
    const note = new Notification(`【${inc.level_name}】${inc.unit_name || "未归属单位"}`, {body: inc.title, tag: `incident-${inc.id}`});
    note.onclick = () => { window.focus(); location.href = `/incidents/${inc.id}`; };
  }
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
  li.dataset.level = inc.level;
  li.dataset.unit = inc.unit || "";
  li.dataset.source = inc.source || "";
  li.hidden = !passes(li, filters());
  const head = el("div", "feed-head");
  head.append(levelBadge(inc.level, inc.level_name), el("span", `badge act act-${item.action}`, ACTIONS[item.action] || "动态"));
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
    if (settled && item.action === "opened" && item.incident.level >= 3) announce(item);
    applyFilters();
    refreshSoon();
  });
  source.onerror = () => {
    status.textContent = "连接中断，正在重连…";
    status.className = "live off";
  };
  // A page left, or kept in the back/forward cache, lets its stream go: a browser has six connections to the
  // server for all its tabs and kept pages, and streams held by pages left behind used them up (the next page hung).
  window.addEventListener("pagehide", () => source.close(), {once: true});
}

document.addEventListener("DOMContentLoaded", async () => {
  const labels = await loadNames().catch(console.error);
  setUpFilters(labels || {units: [], sources: []});
  showAlertsToggle();
  document.getElementById("alerts-toggle").addEventListener("click", () => {
    localStorage.setItem("yuqing.alertsMuted", alertsOn() ? "1" : "0");
    showAlertsToggle();
    // Asked on a click, as browsers require: the desktop notification needs the user's permission once.
    if (alertsOn() && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });
  // On a phone the secondary panel folds away: the cases and the feed come first.
  if (window.matchMedia("(max-width: 899px)").matches) document.getElementById("more-details").open = false;
  document.getElementById("incidents-all").addEventListener("click", toggleAllCases);
  loadBoard().catch((e) => { document.getElementById("incidents").textContent = "加载失败：" + e.message; });
  loadFlagged().catch((e) => { document.getElementById("flagged").textContent = "加载失败：" + e.message; });
  loadHot().catch((e) => { document.getElementById("hot").replaceChildren(el("li", "error", "加载失败：" + e.message)); });
  startFeed();
  window.addEventListener("pageshow", (ev) => { if (ev.persisted) startFeed(); });  // back from the cache
  setInterval(() => loadBoard().catch(console.error), 30000);
});
