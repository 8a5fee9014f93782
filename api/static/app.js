// Yuqing dashboard: what every page shares. Every piece of crawled or user text goes in through textContent
// or text nodes, never as markup: posts are hostile input. Links taken from posts must be http(s).
"use strict";

const LEVELS = {1: "一般", 2: "较大", 3: "重大", 4: "特别重大"};
// STAGES (the incident stages in order, with their names) and ADVANCING_STAGES are put ahead of this file when
// it is served (api/routes/dashboard.py config_script, from the server's Stage list): never a copy here.
const SENTIMENTS = {negative: "负面", neutral: "中性", positive: "正面"};

// Bidi overrides and invisible characters would let a post's title read as something it is not
// ("试测\u202egnp.exe" shows as "试测exe.png"): text is shown without them (the same set as store/display.py).
const INVISIBLE = /[\u061C\u180E\uFEFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F]/g;
function plain(text) { return String(text).replace(INVISIBLE, ""); }

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = plain(text);
  return node;
}

function pad(n) { return String(n).padStart(2, "0"); }

// Times are shown in Beijing time, as in notifications and reports, whatever the browser's own zone.
const BEIJING = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hourCycle: "h23",
});

function beijing(value) {
  const parts = {};
  for (const p of BEIJING.formatToParts(new Date(value))) parts[p.type] = p.value;
  return parts;
}

function fmtTime(iso) {
  if (!iso) return "—";
  const p = beijing(iso);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

function fmtDate(value) {
  const p = beijing(value);
  return `${p.year}-${p.month}-${p.day}`;
}

// Names of sources, schemes and units for labels (the API speaks in ids); loaded once per page.
const NAMES = {sources: {}, schemes: {}, units: {}};
let namesPromise = null;
function loadNames() {
  if (!namesPromise) {
    namesPromise = getJSON("/api/v1/labels").then((labels) => {
      labels.sources.forEach((s) => { NAMES.sources[s.id] = s.name; });
      labels.schemes.forEach((s) => { NAMES.schemes[s.id] = s.name; });
      labels.units.forEach((u) => { NAMES.units[u.id] = u.name; });
      return labels;
    }).catch((e) => {
      console.error(e);
      return {units: [], sources: [], schemes: []};
    });
  }
  return namesPromise;
}

function fmtSeconds(total) {
  const s = Math.abs(Math.round(total));
  if (s >= 3600) return `${Math.floor(s / 3600)}小时${pad(Math.floor((s % 3600) / 60))}分`;
  return `${Math.floor(s / 60)}分${pad(s % 60)}秒`;
}

// A link from a post is shown only when it is http(s): "javascript:" in a crawled URL must not become a link.
function safeHref(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function externalLink(url, text) {
  const href = safeHref(url);
  if (!href) return el("span", "meta", text);
  const a = el("a", null, text);
  a.href = href;
  a.rel = "noopener noreferrer";
  a.target = "_blank";
  return a;
}

function levelBadge(level, name) {
  return el("span", `badge lv-${level || 0}`, name || LEVELS[level] || "未定级");
}

function stageBadge(stage, name) {
  return el("span", `badge stage st-${stage}`, name || STAGES[stage] || stage);
}

// ---- countdowns: computed from the absolute deadline, so they stay right however late the page refreshed.

function countdownState(inc) {
  if (inc.closed_at && !inc.reported_at) return {cls: "done", text: "已结案"};
  if (inc.reported_at) {
    const late = inc.breached_at || new Date(inc.reported_at) > new Date(inc.report_due_at);
    return {cls: late ? "done late-report" : "done", text: `已报告（${fmtTime(inc.reported_at)}${late ? "，超时" : ""}）`};
  }
  const left = (new Date(inc.report_due_at) - Date.now()) / 1000;
  if (left < 0) return {cls: "late", text: `已超时 ${fmtSeconds(left)}`, overdue: true};
  return {cls: left < 300 ? "soon" : "", text: `距报告时限 ${fmtSeconds(left)}`};
}

const countdowns = new Set();

function countdown(inc, card) {
  const node = el("div", "countdown");
  const entry = {node, inc, card};
  paintCountdown(entry);
  countdowns.add(entry);
  return node;
}

function paintCountdown(entry) {
  const state = countdownState(entry.inc);
  entry.node.className = `countdown ${state.cls}`.trim();
  entry.node.textContent = state.text;
  if (entry.card) entry.card.classList.toggle("overdue", Boolean(state.overdue));
}

setInterval(() => {
  for (const entry of countdowns) {
    if (!entry.node.isConnected) countdowns.delete(entry);
    else paintCountdown(entry);
  }
}, 1000);

// ---- highlights: offsets are in characters (code points, as the API counts them), not UTF-16 units.

function wordSpans(text, words) {
  const chars = Array.from(text || "").map((c) => c.toLowerCase());
  const spans = [];
  for (const word of new Set(words || [])) {
    const w = Array.from(word).map((c) => c.toLowerCase());
    if (!w.length) continue;
    for (let i = 0; i + w.length <= chars.length && spans.length < 200; i++) {
      let hit = true;
      for (let j = 0; j < w.length && hit; j++) hit = chars[i + j] === w[j];
      if (hit) spans.push([i, i + w.length]);
    }
  }
  return spans;
}

function mergeSpans(spans, length) {
  const sorted = spans
    .map(([s, e]) => [Math.max(0, s), Math.min(length, e)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const out = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1]);
    else out.push(span.slice());
  }
  return out;
}

// Text nodes and <mark> elements: the post's text is never parsed as markup.
function highlighted(text, spans, cls) {
  const node = el("span", cls);
  const chars = Array.from(text || "");
  let at = 0;
  for (const [s, e] of mergeSpans(spans, chars.length)) {
    if (s > at) node.append(document.createTextNode(plain(chars.slice(at, s).join(""))));
    node.append(el("mark", null, chars.slice(s, e).join("")));
    at = e;
  }
  if (at < chars.length) node.append(document.createTextNode(plain(chars.slice(at).join(""))));
  return node;
}

// A window of the text around its first highlight, with the spans moved into it.
function excerpt(text, spans, radius) {
  const chars = Array.from(text || "");
  if (chars.length <= radius * 2) return {text: chars.join(""), spans};
  const first = spans.length ? Math.min(...spans.map((s) => s[0])) : 0;
  const start = Math.max(0, Math.min(first - Math.floor(radius / 2), chars.length - radius * 2));
  const end = Math.min(chars.length, start + radius * 2);
  const moved = spans.map(([s, e]) => [s - start, e - start]).filter(([s, e]) => e > 0 && s < end - start);
  const prefix = start > 0 ? 1 : 0;
  return {
    text: (start > 0 ? "…" : "") + chars.slice(start, end).join("") + (end < chars.length ? "…" : ""),
    spans: moved.map(([s, e]) => [s + prefix, e + prefix]),
  };
}

// One post: level, title and text with the matched words marked, and why it was flagged.
// `spans` is {title: [[s, e]], content: [[s, e]]}; without it the scheme words found in the text are marked.
function mentionBlock(m, options) {
  const opts = Object.assign({radius: 0, spans: null}, options || {});
  const words = (m.flags || []).flatMap((f) => f.words);
  const spans = opts.spans || {title: wordSpans(m.title, words), content: wordSpans(m.content, words)};
  const box = el("article", `mention lv-${m.level || 0}`);
  box.dataset.mentionId = m.id;
  const head = el("div", "mention-head");
  if (m.level) head.append(levelBadge(m.level, m.level_name));
  if (m.sentiment_label) head.append(el("span", `badge sent-${m.sentiment_label}`, SENTIMENTS[m.sentiment_label]));
  // What the writer is doing (投诉, 咨询, 表扬 …): a question or thanks reads differently from a complaint.
  if (m.post_type) head.append(el("span", "badge post-type", m.post_type));
  const title = el("h3", "mention-title");
  const href = safeHref(m.url);
  const titleText = highlighted(m.title, spans.title || []);
  if (href) {
    const a = el("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.append(titleText);
    title.append(a);
  } else {
    title.append(titleText);
  }
  head.append(title);
  box.append(head);
  const body = opts.radius ? excerpt(m.content, spans.content || [], opts.radius) : {text: m.content, spans: spans.content || []};
  box.append(highlighted(body.text, body.spans, "mention-text"));
  if (m.flags && m.flags.length) {
    const why = el("div", "why");
    why.append(el("span", "why-label", "命中："));
    for (const f of m.flags) why.append(el("span", "chip", `${NAMES.schemes[f.scheme] || f.scheme}：${f.words.join("、")}`));
    box.append(why);
  }
  // The risk line (analysis/risk.py explain) holds the facts, once: 风险：… 依据事实：…。计分：…
  const risk = (m.explanation || []).find((line) => line.startsWith("风险："));
  if (m.level && risk && !(m.flags && m.flags.length)) {
    // Flagged without a scheme (the grader, heat): the risk line says why, facts included.
    box.append(el("div", "why meta", risk));
  } else if (m.level && risk) {
    // What happened and to whom: the facts with the whole words that showed them (analysis/facts).
    const found = /依据事实：(.*?)。计分：/.exec(risk);
    if (found && found[1] !== "无") box.append(el("div", "why facts", `事实：${found[1]}`));
  }
  if (m.official_reply) {
    // What the board answered: for a 网上信访 board it is what the public was told.
    const r = m.official_reply;
    const reply = el("div", "official-reply");
    const who = [r.unit || "官方", r.replied_at ? fmtTime(r.replied_at) : null].filter(Boolean).join(" · ");
    reply.append(el("div", "official-reply-head", `官方回复（${who}）`), el("div", "official-reply-text", r.text));
    box.append(reply);
  }
  const meta = [NAMES.sources[m.source] || m.source, m.author ? `作者 ${m.author}` : null, `发现 ${fmtTime(m.discovered_at)}`,
    m.reply_count != null ? `回复 ${m.reply_count}` : null, m.view_count != null ? `浏览 ${m.view_count}` : null];
  box.append(el("div", "meta", meta.filter(Boolean).join(" · ")));
  return box;
}

// ---- requests: they ride on the session cookie; a state-changing one echoes the session's CSRF token,
// which only this origin can read (from /api/v1/auth/me; no cookie holds it).

class ApiError extends Error {
  constructor(status, detail, message) {
    const items = Array.isArray(detail) ? detail : [];
    // The API adds `message`, a Chinese sentence; its `detail` is for programs.
    const own = items.filter((d) => d.zh).map((d) => d.zh).join("；");
    const text = own || message || (typeof detail === "string" ? detail : `请求失败（${status}）`);
    super(text);
    this.status = status;
    this.items = items;
  }
}

async function getJSON(url, options) {
  const opts = Object.assign({credentials: "same-origin"}, options || {});
  if (opts.method && opts.method !== "GET") {
    const user = await me();
    opts.headers = Object.assign({"X-CSRF-Token": user.csrf_token || ""}, opts.headers || {});
  }
  const res = await fetch(url, opts);
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new ApiError(401, "请先登录");
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.detail, body.message);
  return body;
}

function postJSON(url, body) {
  return getJSON(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})});
}

let mePromise = null;
function me() {
  if (!mePromise) mePromise = getJSON("/api/v1/auth/me");
  return mePromise;
}

// Who is signed in, and a logout button (a POST with the CSRF token), in the page header.
async function showUser() {
  const header = document.querySelector("header");
  if (!header) return;
  const user = await me();
  const form = el("form", "logout");
  form.method = "post";
  form.action = "/logout";
  const token = el("input");
  token.type = "hidden";
  token.name = "csrf_token";
  token.value = user.csrf_token || "";
  const button = el("button", "secondary small", "退出");
  button.type = "submit";
  form.append(el("span", "who", `${user.display_name}（${user.role_name}${user.unit_name ? "·" + user.unit_name : ""}）`), token, button);
  header.append(form);
}

// A browser whose own language is not Chinese shows a date box as "mm/dd/yyyy" (Chromium draws it in the
// browser's locale, whatever the page's lang says). There the date and time boxes become text boxes that read and
// show 2026-12-02 and 2026-12-02 08:00; what the page sends is the same either way.
function chineseDateInputs() {
  if (/^zh/i.test(Intl.DateTimeFormat().resolvedOptions().locale)) return;
  for (const input of document.querySelectorAll("input[type=date], input[type=datetime-local]")) {
    const withTime = input.type === "datetime-local";
    const value = input.value;
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = "off";
    input.dataset.chineseDate = withTime ? "datetime" : "date";
    input.placeholder = withTime ? "如 2026-12-02 08:00" : "如 2026-12-02";
    input.pattern = withTime ? "\\d{4}-\\d{1,2}-\\d{1,2}[ T]\\d{1,2}:\\d{2}" : "\\d{4}-\\d{1,2}-\\d{1,2}";
    input.title = withTime ? "年-月-日 时:分（北京时间）" : "年-月-日";
    input.value = value.replace("T", " ");
    // 2026-12-2 8:00 → 2026-12-02 08:00 before the page reads it (this listener comes before the page's own).
    input.addEventListener("change", () => { input.value = normalDate(input.value); });
  }
}

function normalDate(text) {
  const m = /^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2})[:：](\d{2}))?\s*$/.exec(text);
  if (!m) return text.trim();
  return `${m[1]}-${pad(m[2])}-${pad(m[3])}` + (m[4] ? ` ${pad(m[4])}:${m[5]}` : "");
}

document.addEventListener("DOMContentLoaded", () => {
  chineseDateInputs();
  showUser().catch(console.error);
});
