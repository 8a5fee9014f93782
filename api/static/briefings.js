// The briefings page: pick 日报/周报/研判, a period and a unit; open it as a page or a PDF.
"use strict";

const PATHS = {daily: "daily", weekly: "weekly", analysis: "analysis"};

function beijingDate(offsetDays) {
  // Beijing calendar days, whatever the browser's own time zone.
  const now = new Date(Date.now() + 8 * 3600 * 1000 + (offsetDays || 0) * 86400 * 1000);
  return now.toISOString().slice(0, 10);
}

function briefingUrl(kind, first, last, unit, format) {
  const params = new URLSearchParams();
  if (kind === "daily") params.set("date", first);
  if (kind === "weekly" && first) params.set("start", first);  // none: the server's 本周 (from weekly_on)
  if (kind === "analysis") { params.set("first", first); params.set("last", last || first); }
  if (unit) params.set("unit", unit);
  params.set("format", format);
  return `/api/v1/briefings/${PATHS[kind]}?${params}`;
}

function weekStart(offsetDays) {
  // The Monday of the week (Beijing) `offsetDays` from today: the briefings' default week (weekly_on: 1).
  const today = beijingDate(0);
  const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;  // Monday 0
  return beijingDate((offsetDays || 0) - weekday);
}

function cnDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

function update(form) {
  const f = new FormData(form);
  const kind = f.get("kind");
  const first = f.get("first");
  let last = f.get("last");
  document.getElementById("last-label").hidden = kind !== "analysis";
  form.querySelector("input[name=last]").required = kind === "analysis";
  document.getElementById("first-name").textContent = {daily: "日期", weekly: "起始日期（共七天）", analysis: "起始日期"}[kind];
  if (kind !== form.dataset.kind) {  // switching kind: a 周报 starts on this week's Monday, not today
    const box = form.querySelector("input[name=first]");
    if (kind === "weekly" && first === beijingDate(0)) box.value = weekStart(0);
    else if (kind !== "weekly" && form.dataset.kind === "weekly" && first === weekStart(0)) box.value = beijingDate(0);
    form.dataset.kind = kind;
    return update(form);
  }
  let note = "";
  if (kind === "daily") note = first === beijingDate(0) ? `${cnDate(first)}（今天，截至此刻）` : cnDate(first);
  if (kind === "weekly" && first) {
    const end = new Date(Date.parse(first) + 6 * 86400 * 1000).toISOString().slice(0, 10);
    const now = first <= beijingDate(0) && beijingDate(0) <= end ? "（本周，截至此刻）" : "";
    note = `${cnDate(first)} 至 ${cnDate(end)}${now}`;
  }
  if (kind === "analysis" && first && last) note = last < first ? "截止日期早于起始日期" : `${cnDate(first)} 至 ${cnDate(last)}`;
  const unitName = f.get("unit") ? NAMES.units[f.get("unit")] : "本人可见的全部单位";
  document.getElementById("period-note").textContent = note ? `时段：${note} · ${unitName}` : "请选择日期";
  const ok = Boolean(first) && (kind !== "analysis" || (last && last >= first));
  for (const [id, format] of [["open-html", "html"], ["open-pdf", "pdf"]]) {
    const a = document.getElementById(id);
    if (ok) a.href = briefingUrl(kind, first, last, f.get("unit"), format);
    else a.removeAttribute("href");
    a.classList.toggle("disabled", !ok);
  }
}

function quickLinks() {
  const items = [
    ["今日日报（截至此刻）", briefingUrl("daily", beijingDate(0), null, "", "html")],
    ["昨日日报", briefingUrl("daily", beijingDate(-1), null, "", "html")],
    ["本周周报（截至此刻）", briefingUrl("weekly", null, null, "", "html")],
    ["上周周报", briefingUrl("weekly", weekStart(-7), null, "", "html")],
    ["近三十天分析研判", briefingUrl("analysis", beijingDate(-30), beijingDate(-1), "", "html")],
  ];
  document.getElementById("quick").replaceChildren(...items.map(([text, href]) => {
    const li = el("li");
    const a = el("a", null, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    const pdf = el("a", "meta", "PDF");
    pdf.href = href.replace("format=html", "format=pdf");
    pdf.target = "_blank";
    li.append(a, " · ", pdf);
    return li;
  }));
}

document.addEventListener("DOMContentLoaded", async () => {
  const form = document.getElementById("briefing-form");
  form.querySelector("input[name=first]").value = beijingDate(0);
  form.querySelector("input[name=last]").value = beijingDate(0);
  const labels = await loadNames();
  const select = form.querySelector("select[name=unit]");
  for (const u of labels.units) {
    const option = el("option", null, u.name);
    option.value = u.id;
    select.append(option);
  }
  form.addEventListener("input", () => update(form));
  form.addEventListener("change", () => update(form));
  form.addEventListener("submit", (ev) => ev.preventDefault());
  update(form);
  quickLinks();
});
