// Yuqing dashboard. Every piece of crawled or user text goes in through textContent, never as markup:
// posts are hostile input.
"use strict";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fmtTime(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// The countdown is computed from the absolute deadline, so it stays right however late the page refreshed.
function renderCountdown(node, incident) {
  if (incident.reported_at) {
    node.className = "countdown done";
    node.textContent = `已报告（${fmtTime(incident.reported_at)}）`;
    return;
  }
  const left = Math.round((new Date(incident.report_due_at) - Date.now()) / 1000);
  const abs = Math.abs(left);
  const text = `${Math.floor(abs / 60)}分${String(abs % 60).padStart(2, "0")}秒`;
  node.className = left < 0 ? "countdown late" : "countdown";
  node.textContent = left < 0 ? `已超时 ${text}` : `距报告时限 ${text}`;
}

const countdowns = [];
setInterval(() => countdowns.forEach(([node, inc]) => renderCountdown(node, inc)), 1000);

function incidentCard(inc) {
  const card = el("div", `incident lv-${inc.level}`);
  card.dataset.incidentId = inc.id;
  const head = el("div");
  head.append(el("span", `badge lv-${inc.level}`, inc.level_name), el("span", "badge", inc.stage_name));
  const link = el("a", null, inc.title);
  link.href = `/incidents/${inc.id}`;
  head.append(link);
  const cd = el("div");
  renderCountdown(cd, inc);
  countdowns.push([cd, inc]);
  const meta = el("div", "meta", `单位：${inc.unit_name || "未归属"} · 来源：${inc.source_name} · 发现：${fmtTime(inc.discovered_at)} · 相关帖 ${inc.mention_count}`);
  card.append(head, cd, meta);
  return card;
}

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

// Requests ride on the session cookie; a state-changing one echoes the session's CSRF token.
async function getJSON(url, options) {
  const opts = Object.assign({credentials: "same-origin"}, options || {});
  if (opts.method && opts.method !== "GET") {
    opts.headers = Object.assign({"X-CSRF-Token": cookie("yuqing_csrf")}, opts.headers || {});
  }
  const res = await fetch(url, opts);
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new Error("请先登录");
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail ? JSON.stringify(body.detail) : res.statusText);
  return body;
}

let currentUser = null;

// Buttons the signed-in role may not use are hidden (the API refuses them anyway).
function allowed(permission) {
  return !currentUser || currentUser.permissions.includes(permission);
}

// Who is signed in, and a logout button (a POST with the CSRF token), in the page header.
async function showUser() {
  const header = document.querySelector("header");
  if (!header) return;
  const me = await getJSON("/api/v1/auth/me");
  currentUser = me;
  if (document.getElementById("report-form")) loadIncident().catch(console.error);
  const form = el("form");
  form.method = "post";
  form.action = "/logout";
  form.className = "logout";
  const token = el("input");
  token.type = "hidden";
  token.name = "csrf_token";
  token.value = me.csrf_token || "";
  const button = el("button", "secondary", "退出");
  button.type = "submit";
  form.append(el("span", null, `${me.display_name}（${me.role_name}${me.unit_name ? "·" + me.unit_name : ""}）`), token, button);
  header.append(form);
}
document.addEventListener("DOMContentLoaded", () => showUser().catch(console.error));

async function loadBoard() {
  const list = document.getElementById("incidents");
  const incidents = await getJSON("/api/v1/incidents?open_only=true");
  countdowns.length = 0;
  list.replaceChildren(...(incidents.length ? incidents.map(incidentCard) : [el("p", "meta", "暂无待处置事件")]));
}

function startFeed() {
  const feed = document.getElementById("feed");
  const source = new EventSource("/api/v1/feed?backlog=30");
  source.addEventListener("incident", (ev) => {
    const item = JSON.parse(ev.data);
    const li = el("li");
    li.dataset.action = item.action;
    li.append(el("span", `badge lv-${item.incident.level}`, item.incident.level_name));
    const link = el("a", null, item.incident.title);
    link.href = `/incidents/${item.incident.id}`;
    li.append(link, el("div", "meta", `${fmtTime(item.at)} ${item.actor}：${item.detail}`));
    feed.prepend(li);
    loadBoard().catch(console.error);
  });
}

async function loadIncident() {
  const id = location.pathname.split("/").pop();
  const inc = await getJSON(`/api/v1/incidents/${id}`);
  document.title = `${inc.title} - 舆情事件`;
  document.getElementById("title").textContent = inc.title;
  const head = document.getElementById("head");
  countdowns.length = 0;
  head.replaceChildren(incidentCard(inc));
  const original = el("a", null, "查看原帖");
  original.href = inc.url;
  original.rel = "noopener noreferrer";
  head.append(original);
  document.getElementById("explain").textContent = inc.explanation.join("\n");
  const timeline = document.getElementById("timeline");
  timeline.replaceChildren(...inc.timeline.map((t) => el("li", null, `${fmtTime(t.at)} ${t.actor}：${t.detail}`)));
  const deliveries = document.getElementById("deliveries");
  deliveries.replaceChildren(...inc.deliveries.map((d) =>
    el("li", d.status === "failed" ? "error" : null,
      `${{alert: "预警通知", reminder: "提醒", escalation: "升级通知", breach: "超时通知"}[d.kind.split("@")[0]] || d.kind} → ${d.recipient}：${{pending: "待发送", sent: "已送达", failed: "失败"}[d.status]}` +
      (d.sent_channel ? `（${d.sent_channel}）` : "") + (d.last_error ? ` ${d.last_error}` : ""))));
  const tasks = document.getElementById("tasks");
  tasks.replaceChildren(...inc.tasks.map((t) => {
    const li = el("li", t.done_at ? "meta" : null, `【${t.stage_name}】${t.title}（${fmtTime(t.due_at)} 前）`);
    if (t.done_at) {
      li.append(el("span", null, ` ✔ ${t.done_by} ${fmtTime(t.done_at)}`));
    } else {
      const done = el("button", "secondary", "完成");
      done.type = "button";
      done.style.width = "auto";
      done.addEventListener("click", () => act(`tasks/${t.id}/done`));
      li.append(" ", done);
    }
    return li;
  }));
  const kinds = {alert: "预警", reminder: "提醒", escalation: "升级", breach: "超时"};
  const roles = {duty_officer: "值班员", secretary: "书记", propaganda: "宣传部门", commentator: "网评员",
    superior: "上级单位", superiors: "各级上级单位"};
  document.getElementById("clock").replaceChildren(...inc.clock.map((c) =>
    el("li", c.outcome === "sent" && c.kind === "breach" ? "error" : null,
      `${fmtTime(c.due_at)} ${kinds[c.kind] || c.kind} → ${c.audience.map((a) => roles[a] || a).join("、")}：` +
      (c.fired_at ? (c.outcome === "sent" ? "已发送" : `已跳过（${c.outcome.replace("skipped: ", "")}）`) : "待触发"))));
  document.getElementById("advance").hidden =
    !["monitor", "analyse", "report"].includes(inc.stage) || !allowed("incident.advance");
  document.getElementById("report-form").hidden = Boolean(inc.reported_at) || !allowed("incident.report");
  document.getElementById("ack").hidden = Boolean(inc.acknowledged_at) || !allowed("incident.acknowledge");
}

async function act(path) {
  const id = location.pathname.split("/").pop();
  const status = document.getElementById("status");
  try {
    await getJSON(`/api/v1/incidents/${id}/${path}`, {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
    status.textContent = "已记录";
    await loadIncident();
  } catch (e) { status.textContent = `操作失败：${e.message}`; }
}

function bindIncidentForms() {
  const id = location.pathname.split("/").pop();
  const status = document.getElementById("status");
  document.getElementById("advance").addEventListener("click", () => act("advance"));
  document.getElementById("ack").addEventListener("click", async () => {
    try {
      await getJSON(`/api/v1/incidents/${id}/acknowledge`, {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
      status.textContent = "已确认";
      await loadIncident();
    } catch (e) { status.textContent = `操作失败：${e.message}`; }
  });
  document.getElementById("report-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    try {
      await getJSON(`/api/v1/incidents/${id}/report`, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({reported_to: form.get("reported_to"), channel: form.get("channel"), summary: form.get("summary")})});
      status.textContent = "报告已记录";
      await loadIncident();
    } catch (e) { status.textContent = `操作失败：${e.message}`; }
  });
}
