// Search for analysts: the query language, filters, results with highlights and cursor paging, charts, export.
"use strict";

const names = {sources: {}, units: {}, schemes: {}};
let cursor = null;
let current = null;

// The form as API parameters; the time range is sent with its timezone (the API refuses naive times).
function params() {
  const f = new FormData(document.getElementById("search-form"));
  const p = new URLSearchParams();
  const q = (f.get("q") || "").trim();
  if (q) p.set("q", q);
  for (const key of ["source", "unit", "scheme", "sentiment", "min_level"]) {
    if (f.get(key)) p.set(key, f.get(key));
  }
  const since = f.get("since");
  const until = f.get("until");
  if (since) p.set("since", new Date(since).toISOString());
  else if (f.get("range")) p.set("since", new Date(Date.now() - Number(f.get("range")) * 3600e3).toISOString());
  if (until) p.set("until", new Date(until).toISOString());
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
    if (form.elements[k]) form.elements[k].value = v;
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
    box.append(line, el("div", "meta", `位置：第 ${at + 1} 个字符`));
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

function histogramInterval(p) {
  const since = p.get("since") ? new Date(p.get("since")) : null;
  const until = p.get("until") ? new Date(p.get("until")) : new Date();
  return since && until - since <= 3 * 86400e3 ? "hour" : "day";
}

async function loadCharts() {
  const p = new URLSearchParams(current);
  const interval = histogramInterval(p);
  p.set("interval", interval);
  const aggs = await getJSON(`/api/v1/mentions/aggregations?${p}`);
  const levelNames = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [k, v]));
  levelNames["0"] = "未预警";
  document.getElementById("charts").replaceChildren(
    volumeChart(aggs.volume, interval),
    sentimentChart(aggs.sentiment),
    topChart("来源排行", aggs.sources, names.sources),
    topChart("单位排行", aggs.units, names.units),
    topChart("监测方案命中", aggs.schemes, names.schemes),
    topChart("预警级别", aggs.levels, levelNames),
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
  const [sources, units, schemes] = await Promise.all([
    getJSON("/api/v1/sources"), getJSON("/api/v1/units"), getJSON("/api/v1/schemes").catch(() => []),
  ]);
  sources.forEach((s) => { names.sources[s.source] = s.name; });
  units.forEach((u) => { names.units[u.id] = u.name; });
  schemes.forEach((s) => { names.schemes[s.id] = s.name; });
  fillSelect("source", sources.map((s) => [s.source, s.name]));
  fillSelect("unit", units.map((u) => [u.id, u.name]));
  fillSelect("scheme", schemes.map((s) => [s.id, s.name]));
}

document.addEventListener("DOMContentLoaded", async () => {
  const form = document.getElementById("search-form");
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
