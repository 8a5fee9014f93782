// The incident page: the case with its countdown, why it was flagged, its posts, and every action on it.
"use strict";

const incidentId = location.pathname.split("/").pop();
const DELIVERY_KINDS = {alert: "预警通知", reminder: "提醒", escalation: "升级通知", breach: "超时通知", resolved: "结案通知"};
const DELIVERY_STATUS = {pending: "待发送", sent: "已送达", failed: "失败", merged: "已合并发送", not_needed: "已确认，未补发"};
const CLOCK_KINDS = {alert: "预警", reminder: "提醒", escalation: "升级", breach: "超时"};
let shownMentions = "";
let shownIncident = null;

function say(text, bad) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = bad ? "status error" : "status ok";
}

function renderHead(inc) {
  const head = document.getElementById("head");
  const card = el("div", `incident lv-${inc.level}`);
  const badges = el("div", "incident-head");
  badges.append(levelBadge(inc.level, inc.level_name), stageBadge(inc.stage, inc.stage_name));
  if (!inc.acknowledged_at && !inc.closed_at) badges.append(el("span", "badge unacked", "未确认"));
  const title = el("h2", "incident-title", inc.title);
  title.id = "title";
  card.append(badges, title, countdown(inc, card));
  const facts = el("dl", "facts");
  const add = (k, v) => { if (v) facts.append(el("dt", null, k), el("dd", null, v)); };
  add("单位", inc.unit_name || "未归属");
  add("来源", inc.source_name);
  add("发现", fmtTime(inc.discovered_at));
  add("报告时限", fmtTime(inc.report_due_at));
  add("确认", inc.acknowledged_at ? fmtTime(inc.acknowledged_at) : "未确认");
  add("报告", inc.reported_at ? fmtTime(inc.reported_at) : "未报告");
  add("负责人", inc.assigned_name || inc.assigned_to || "未指派");
  add("监测方案", inc.schemes.map((id) => NAMES.schemes[id] || id).join("、"));
  add("相关帖", String(inc.mention_count));
  card.append(facts, externalLink(inc.url, "查看原帖"));
  head.replaceChildren(card);
}

async function renderMentions(ids) {
  const key = ids.join("\n");
  if (key === shownMentions) return;  // the page refreshes often; posts rarely change
  const box = document.getElementById("mentions");
  const shown = ids.slice(0, 20);
  const found = await Promise.all(shown.map((id) => getJSON(`/api/v1/mentions/${encodeURIComponent(id)}`).catch(() => null)));
  const blocks = found.filter(Boolean).map((m) => mentionBlock(m));
  if (ids.length > shown.length) blocks.push(el("p", "meta", `另有 ${ids.length - shown.length} 条相关帖未显示`));
  box.replaceChildren(...(blocks.length ? blocks : [el("p", "meta", "无可查看的相关帖子")]));
  shownMentions = key;
}

function renderLists(inc, user) {
  const canTask = user.permissions.includes("incident.task");
  document.getElementById("tasks").replaceChildren(...inc.tasks.map((t) => {
    const li = el("li", t.done_at ? "task done" : "task");
    const text = el("div", "task-text");
    text.append(el("div", null, t.title));
    text.append(el("div", "meta", t.done_at ? `✔ ${t.done_by} ${fmtTime(t.done_at)}` : `${fmtTime(t.due_at)} 前完成`));
    li.append(stageBadge(t.stage, t.stage_name), text);
    if (!t.done_at && canTask && !inc.closed_at) {
      const done = el("button", "secondary small", "完成");
      done.type = "button";
      done.addEventListener("click", () => act(`tasks/${t.id}/done`, {}, "任务已完成"));
      li.append(done);
    }
    return li;
  }));
  document.getElementById("timeline").replaceChildren(...inc.timeline.map((t) => {
    const li = el("li", `tl-${t.action}`);
    li.append(el("time", null, fmtTime(t.at)), el("span", "actor", t.actor), el("span", null, t.detail));
    return li;
  }));
  document.getElementById("clock").replaceChildren(...inc.clock.map((c) =>
    el("li", c.outcome === "sent" && c.kind === "breach" ? "error" : null,
      `${fmtTime(c.due_at)} ${CLOCK_KINDS[c.kind] || "通知"} → ${c.audience_name}：${c.outcome_name}`)));
  document.getElementById("deliveries").replaceChildren(...inc.deliveries.map((d) =>
    el("li", d.status === "failed" ? "error" : null,
      `${DELIVERY_KINDS[d.kind.split("@")[0]] || "通知"}${d.kind.endsWith("~unconfirmed") ? "（电话未确认时补发）" : ""} → ${d.recipient_name}：${DELIVERY_STATUS[d.status] || d.status}` +
      (d.sent_channel_name ? `（${d.sent_channel_name}）` : "") + (d.last_error ? ` ${d.last_error}` : ""))));
}

function renderActions(inc, user) {
  const may = (perm) => user.permissions.includes(perm);
  const open = !inc.closed_at;
  document.getElementById("ack").hidden = !(open && !inc.acknowledged_at && may("incident.acknowledge"));
  document.getElementById("advance").hidden = !(open && ADVANCING_STAGES.includes(inc.stage) && may("incident.advance"));
  document.getElementById("report-form").hidden = !(open && !inc.reported_at && may("incident.report"));
  // The secretary's 研判意见 and 处置建议 go into the 专报; the latest of each is on the timeline.
  const opinions = document.getElementById("opinions-form");
  opinions.hidden = !may("incident.report");
  for (const name of ["assessment", "advice"]) {
    const field = opinions.querySelector(`textarea[name=${name}]`);
    const latest = inc.timeline.filter((t) => t.action === name).pop();
    if (document.activeElement !== field) field.value = latest ? latest.detail.replace(/^[^：]*：/, "") : "";
  }
  document.getElementById("assign-form").hidden = !(open && may("incident.assign"));
  document.getElementById("note-form").hidden = !(open && may("incident.note"));
  document.getElementById("close-form").hidden = !(open && may("incident.close"));
  // A 重大+ case closed without a recorded report needs a written reason (the server refuses otherwise).
  const needReason = open && inc.level >= 3 && !inc.reported_at;
  document.getElementById("no-report").hidden = !needReason;
  document.querySelector("#close-form textarea[name=no_report_reason]").required = needReason;
  document.getElementById("more-actions").hidden = ["assign-form", "note-form", "close-form"]
    .every((id) => document.getElementById(id).hidden);
  const assign = document.querySelector("#assign-form select[name=user]");
  if (document.activeElement !== assign) showAssignee(assign, inc);
}

// The people the case may go to, by name, role and unit (the login name is only the option's value).
let assignees = [];

function showAssignee(select, inc) {
  const options = [el("option", null, "（不指派）")];
  options[0].value = "";
  const offered = assignees.slice();
  if (inc.assigned_to && !offered.some((u) => u.name === inc.assigned_to)) {
    // Assigned earlier to someone no longer offered (disabled, moved): still shown as the current one.
    offered.push({name: inc.assigned_to, display_name: inc.assigned_name || "已停用的账号", role_name: "", unit_name: ""});
  }
  for (const u of offered) {
    const detail = [u.role_name, u.unit_name].filter(Boolean).join(" · ");
    const option = el("option", null, detail ? `${u.display_name}（${detail}）` : u.display_name);
    option.value = u.name;
    options.push(option);
  }
  select.replaceChildren(...options);
  select.value = inc.assigned_to || "";
}

async function loadIncident() {
  const [inc, user] = await Promise.all([getJSON(`/api/v1/incidents/${incidentId}`), me(), loadNames()]);
  const key = JSON.stringify(inc, (k, v) => (k === "seconds_to_deadline" ? undefined : v));
  if (key === shownIncident) return;  // unchanged: nothing re-drawn under the user's finger
  shownIncident = key;
  document.title = `${plain(inc.title)} · 舆情事件`;
  renderHead(inc);
  document.getElementById("explain").textContent = plain(inc.explanation.join("\n"));
  renderActions(inc, user);
  renderLists(inc, user);
  await renderMentions(inc.mention_ids);
}

async function act(path, body, done) {
  try {
    await postJSON(`/api/v1/incidents/${incidentId}/${path}`, body);
    await loadIncident().catch(console.error);
    say(done);
    return true;
  } catch (e) {
    say(`操作失败：${e.message}`, true);
    return false;
  }
}

function bindForm(id, path, body, done) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const ok = await act(path, body(new FormData(form)), done);
    button.disabled = false;
    if (ok && !["assign-form", "opinions-form"].includes(id)) form.reset();
  });
}

async function loadAssignees() {
  const user = await me();
  if (!user.permissions.includes("incident.assign")) return;
  assignees = await getJSON(`/api/v1/incidents/${incidentId}/assignees`);
  shownIncident = null;  // draw the list again with the names
  await loadIncident();
}

document.addEventListener("DOMContentLoaded", () => {
  // On a phone the less urgent forms fold away below acknowledging and reporting.
  if (window.matchMedia("(max-width: 700px)").matches) document.getElementById("more-actions").open = false;
  document.getElementById("ack").addEventListener("click", () => act("acknowledge", {}, "已确认收到"));
  document.getElementById("advance").addEventListener("click", () => act("advance", {}, "已进入下一阶段"));
  bindForm("report-form", "report", (f) => ({reported_to: f.get("reported_to"), channel: f.get("channel"), summary: f.get("summary")}), "报告已记录，报告时钟已停止");
  bindForm("assign-form", "assign", (f) => ({user: f.get("user") || null}), "指派已记录");
  bindForm("note-form", "notes", (f) => ({text: f.get("text")}), "备注已记录");
  bindForm("opinions-form", "opinions", (f) => ({assessment: f.get("assessment"), advice: f.get("advice")}), "专报意见已保存");
  for (const [id, format] of [["briefing-html", "html"], ["briefing-pdf", "pdf"]]) {
    document.getElementById(id).href = `/api/v1/briefings/incidents/${incidentId}?format=${format}`;
  }
  bindForm("close-form", "close", (f) => ({summary: f.get("summary"), no_report_reason: f.get("no_report_reason") || null}), "已结案");
  loadIncident().catch((e) => {
    document.getElementById("title").textContent = "加载失败：" + e.message;
    if (shownIncident) return;
    // No case to act on: no 专报 buttons nor empty panels under the message, only a way back.
    for (const section of document.querySelectorAll("main > section:not(#head)")) section.hidden = true;
    const back = el("a", null, "返回值班台");
    back.href = "/";
    document.getElementById("head").append(el("p", null), back);
  });
  loadAssignees().catch(console.error);
  // Changes by others (a colleague acknowledging, the clock firing) arrive on the live feed; the poll is a
  // fallback and keeps the countdown's facts fresh.
  const feed = new EventSource("/api/v1/feed");
  feed.addEventListener("incident", (ev) => {
    if (String(JSON.parse(ev.data).incident.id) === incidentId) loadIncident().catch(console.error);
  });
  // As on the board: a page left lets its stream go (six connections a browser for all its pages); one brought
  // back from the back/forward cache is read again whole.
  window.addEventListener("pagehide", () => feed.close());
  window.addEventListener("pageshow", (ev) => { if (ev.persisted) location.reload(); });
  setInterval(() => loadIncident().catch(console.error), 30000);
});
