// Search for analysts: the query language, filters, results with highlights and cursor paging, charts, export.
"use strict";

let cursor = null;
let current = null;

// The form as API parameters; the time range is sent with its timezone (the API refuses naive times).
function params() {
  const f = new FormData(document.getElementById("search-form"));
  const p = new URLSearchParams();
  const q = (f.get("q") || "").trim();
  if (q) p.set("q", q);
  for (const key of ["source", "unit", "scheme", "sentiment", "post_type", "min_level", "sort", "event"]) {
    if (f.get(key)) p.set(key, f.get(key));
  }
  const since = f.get("since");
  const until = f.get("until");
  // A date box shown as text (app.js, a browser in another language) reads 2026-12-02 08:00: the same time.
  if (since) p.set("since", `${since.replace(" ", "T")}:00+08:00`);
  else if (f.get("range")) p.set("since", new Date(Date.now() - Number(f.get("range")) * 3600e3).toISOString());
  if (until) p.set("until", `${until.replace(" ", "T")}:00+08:00`);
  return p;
}

// The page's own URL keeps the form (not the computed times), so a search can be bookmarked or sent on.
function saveToUrl() {
  const f = new FormData(document.getElementById("search-form"));
  const p = new URLSearchParams();
  for (const [k, v] of f.entries()) if (v) p.set(k, v);
  history.replaceState(null, "", p.toString() ? `/search?${p}` : "/search");
}

function restoreFromUrl() {
  const form = document.getElementById("search-form");
  for (const [k, v] of new URLSearchParams(location.search).entries()) {
    if (form.elements[k]) form.elements[k].value = form.elements[k].dataset.chineseDate ? v.replace("T", " ") : v;
  }
}

function showQueryError(err) {
  const box = document.getElementById("query-error");
  const item = (err.items || []).find((d) => Array.isArray(d.loc) && d.loc.includes("q"));
  if (!item) {
    box.hidden = true;
    return false;
  }
  box.replaceChildren(el("div", null, item.zh || item.msg));
  if (typeof item.position === "number") {
    // The query with the character at the reported position marked (positions count characters).
    const chars = Array.from(document.getElementById("q").value.trim());
    const at = Math.min(item.position, chars.length);
    const line = el("div", "query-echo");
    line.append(document.createTextNode(chars.slice(0, at).join("")));
    line.append(el("mark", "error-at", chars[at] || " "));
    line.append(document.createTextNode(chars.slice(at + 1).join("")));
    box.append(line);
  }
  box.hidden = false;
  return true;
}

function hitBlock(hit) {
  const spans = {title: [], content: []};
  for (const s of hit.highlights || []) (spans[s.field] || []).push([s.start, s.end]);
  // No query words (a filter-only search): mark the scheme words that flagged the post instead.
  const useFlags = !(hit.highlights || []).length;
  const block = mentionBlock(hit, useFlags ? {radius: 120} : {spans, radius: 120});
  block.classList.add("hit");
  return block;
}

async function runSearch(more) {
  const p = current;
  const page = new URLSearchParams(p);
  page.set("size", "20");
  if (more && cursor) page.set("cursor", cursor);
  const found = await getJSON(`/api/v1/mentions?${page}`);
  const results = document.getElementById("results");
  const blocks = found.hits.map(hitBlock);
  if (more) results.append(...blocks);
  else results.replaceChildren(...(blocks.length ? blocks : [el("p", "meta", "没有符合条件的帖子")]));
  cursor = found.next_cursor;
  document.getElementById("more").hidden = !cursor;
  document.getElementById("total").textContent = `共 ${found.total} 条`;
}

// By hour when the period is three days or less, else by day; with no period, the matches' own span decides.
function histogramInterval(p) {
  if (!p.get("since")) return null;
  const until = p.get("until") ? new Date(p.get("until")) : new Date();
  return until - new Date(p.get("since")) <= 3 * 86400e3 ? "hour" : "day";
}

async function loadCharts() {
  const p = new URLSearchParams(current);
  let interval = histogramInterval(p) || "hour";
  p.set("interval", interval);
  let aggs = await getJSON(`/api/v1/mentions/aggregations?${p}`);
  const times = aggs.volume.map((b) => new Date(b.key).getTime());
  if (!histogramInterval(p) && times.length && Math.max(...times) - Math.min(...times) > 3 * 86400e3) {
    interval = "day";
    p.set("interval", interval);
    aggs = await getJSON(`/api/v1/mentions/aggregations?${p}`);
  }
  const levelNames = Object.assign({"0": "未预警"}, LEVELS);
  document.getElementById("charts").replaceChildren(
    volumeChart(aggs.volume, interval),
    sentimentChart(aggs.sentiment),
    topChart("来源排行", aggs.sources, NAMES.sources),
    topChart("单位排行", aggs.units, NAMES.units),
    topChart("监测方案命中", aggs.schemes, NAMES.schemes),
    topChart("预警级别", aggs.levels, levelNames),
    topChart("帖子类型", aggs.post_types, null),
    topChart(`高频词（最近 ${aggs.terms_sample} 条）`, aggs.terms, null),
  );
}

function updateExports(user) {
  const box = document.getElementById("exports");
  box.hidden = !user.permissions.includes("mentions.export");
  for (const format of ["csv", "xlsx"]) {
    const p = new URLSearchParams(current);
    p.set("format", format);
    document.getElementById(`export-${format}`).href = `/api/v1/mentions/export?${p}`;
  }
}

async function search() {
  current = params();
  cursor = null;
  saveToUrl();
  document.getElementById("query-error").hidden = true;
  const results = document.getElementById("results");
  try {
    await runSearch(false);
  } catch (e) {
    if (!showQueryError(e)) results.replaceChildren(el("p", "error", `检索失败：${e.message}`));
    else results.replaceChildren();
    document.getElementById("more").hidden = true;
    document.getElementById("charts").replaceChildren();
    document.getElementById("total").textContent = "";
    document.getElementById("exports").hidden = true;
    return;
  }
  updateExports(await me());
  loadCharts().catch((e) => document.getElementById("charts").replaceChildren(el("p", "error", `统计失败：${e.message}`)));
}

function fillSelect(name, items) {
  const select = document.getElementById("search-form").elements[name];
  for (const [value, label] of items) {
    const option = el("option", null, label);
    option.value = value;
    select.append(option);
  }
}

async function loadFilters() {
  const {sources, schemes, units} = await loadNames();
  fillSelect("source", sources.map((s) => [s.id, s.name]));
  fillSelect("unit", units.map((u) => [u.id, u.name]));
  fillSelect("scheme", schemes.map((s) => [s.id, s.name]));
}

document.addEventListener("DOMContentLoaded", async () => {
  const form = document.getElementById("search-form");
  // On a phone the filters fold away, so the results are on the first screen.
  if (window.matchMedia("(max-width: 700px)").matches) document.getElementById("filters").open = false;
  form.addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
  for (const input of form.querySelectorAll("select, input[type=datetime-local]")) input.addEventListener("change", () => search());
  document.getElementById("more").addEventListener("click", async (ev) => {
    ev.target.disabled = true;
    try { await runSearch(true); } catch (e) { document.getElementById("results").append(el("p", "error", e.message)); }
    ev.target.disabled = false;
  });
  await loadFilters().catch(console.error);
  restoreFromUrl();
  search();
});
