// Small inline-SVG charts (no library, nothing from a CDN). Labels are text nodes, like everything else.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = plain(text);  // plain(): app.js
  return node;
}

function chartBox(title, node) {
  const figure = el("figure", "chart");
  figure.append(el("figcaption", null, title), node);
  return figure;
}

function emptyChart(title) {
  return chartBox(title, el("p", "meta", "无数据"));
}

// Volume over time: the store returns only non-empty buckets, so the gaps are filled with zeros here.
function fillBuckets(buckets, interval) {
  if (!buckets.length) return [];
  const step = interval === "hour" ? 3600e3 : 86400e3;
  const counts = new Map(buckets.map((b) => [new Date(b.key).getTime(), b.count]));
  const first = Math.min(...counts.keys());
  const last = Math.max(...counts.keys());
  if ((last - first) / step > 400) return buckets.map((b) => ({t: new Date(b.key).getTime(), count: b.count}));
  const out = [];
  for (let t = first; t <= last; t += step) out.push({t, count: counts.get(t) || 0});
  return out;
}

function volumeChart(buckets, interval) {
  const title = `声量走势（按${interval === "hour" ? "小时" : "天"}）`;
  const points = fillBuckets(buckets, interval);
  if (!points.length) return emptyChart(title);
  const W = 600, H = 200, left = 36, bottom = 24, top = 10;
  const max = Math.max(...points.map((p) => p.count), 1);
  const plotW = W - left - 6, plotH = H - bottom - top;
  const bw = plotW / points.length;
  const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "volume", role: "img", "aria-label": title});
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH * (1 - frac);
    root.append(svg("line", {x1: left, x2: W - 6, y1: y, y2: y, class: "grid"}));
    root.append(svg("text", {x: left - 4, y: y + 4, "text-anchor": "end", class: "axis"}, Math.round(max * frac)));
  }
  points.forEach((p, i) => {
    const h = (p.count / max) * plotH;
    const w = Math.min(Math.max(bw * 0.8, 1), 60);  // one wide bar for a single bucket would read as a block
    const bar = svg("rect", {x: left + i * bw + (bw - w) / 2, y: top + plotH - h, width: w, height: h, class: "bar"});
    const when = interval === "hour" ? fmtTime(p.t) : fmtDate(p.t);
    bar.append(svg("title", {}, `${when}：${p.count} 条`));
    root.append(bar);
  });
  const labels = Math.min(points.length, 5);
  for (let k = 0; k < labels; k++) {
    const i = labels === 1 ? 0 : Math.round((k * (points.length - 1)) / (labels - 1));
    const b = beijing(points[i].t);
    const text = interval === "hour" ? `${b.day}日${b.hour}时` : `${b.month}-${b.day}`;
    const anchor = k === 0 ? "start" : (k === labels - 1 ? "end" : "middle");
    root.append(svg("text", {x: left + i * bw + bw / 2, y: H - 6, "text-anchor": anchor, class: "axis"}, text));
  }
  return chartBox(title, root);
}

// Sentiment split: one stacked bar with a legend.
function sentimentChart(buckets) {
  const title = "情感分布";
  const order = ["negative", "neutral", "positive"];
  const counts = Object.fromEntries(buckets.map((b) => [b.key, b.count]));
  const total = order.reduce((n, k) => n + (counts[k] || 0), 0);
  if (!total) return emptyChart(title);
  const W = 600, H = 56;
  const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "sentiment", role: "img", "aria-label": title});
  let x = 0;
  for (const key of order) {
    const n = counts[key] || 0;
    if (!n) continue;
    const w = (n / total) * W;
    const rect = svg("rect", {x, y: 0, width: w, height: 28, class: `sent-${key}`});
    rect.append(svg("title", {}, `${SENTIMENTS[key]}：${n} 条`));
    root.append(rect);
    x += w;
  }
  let lx = 0;
  for (const key of order) {
    const n = counts[key] || 0;
    root.append(svg("rect", {x: lx, y: 38, width: 12, height: 12, class: `sent-${key}`}));
    root.append(svg("text", {x: lx + 16, y: 49, class: "legend"}, `${SENTIMENTS[key]} ${n}（${Math.round((n / total) * 100)}%）`));
    lx += 200;
  }
  return chartBox(title, root);
}

// A label of at most two lines of LINE characters: a long name (投诉直通车（示例，GBK 编码）) breaks before its
// bracket or at the line's end instead of being cut; only a name longer than two lines ends in "…".
const LINE = 11;
function labelLines(name) {
  const chars = Array.from(name);
  if (chars.length <= LINE) return [name];
  let cut = chars.findIndex((c, i) => i >= 3 && i <= LINE && (c === "（" || c === "("));
  if (cut < 0) cut = LINE;
  const first = chars.slice(0, cut).join("");
  const rest = chars.slice(cut);
  const second = rest.length > LINE + 1 ? rest.slice(0, LINE).join("") + "…" : rest.join("");
  return [first, second];
}

// Top N as horizontal bars; `names` turns keys (ids) into what people read.
function topChart(title, buckets, names) {
  if (!buckets.length) return emptyChart(title);
  const rows = buckets.slice(0, 8).map((b) => {
    const name = (names && names[b.key]) || b.key || "未知";
    return {name, lines: labelLines(name), count: b.count};
  });
  const W = 600, rowH = 26, lineH = 16, labelW = 180;
  const heights = rows.map((r) => rowH + (r.lines.length - 1) * lineH);
  const H = heights.reduce((a, h) => a + h, 0);
  const max = Math.max(...rows.map((r) => r.count), 1);
  const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "top", role: "img", "aria-label": title});
  let y = 0;
  rows.forEach((r, i) => {
    const mid = y + heights[i] / 2;
    const label = svg("text", {x: labelW - 6, y: mid + 5 - ((r.lines.length - 1) * lineH) / 2, "text-anchor": "end", class: "label"});
    r.lines.forEach((line, k) => label.append(svg("tspan", {x: labelW - 6, dy: k ? lineH : 0}, line)));
    label.append(svg("title", {}, r.name));
    const w = ((W - labelW - 50) * r.count) / max;
    root.append(label, svg("rect", {x: labelW, y: mid - (rowH - 10) / 2, width: Math.max(w, 1), height: rowH - 10, class: "bar"}));
    root.append(svg("text", {x: labelW + w + 4, y: mid + 5, class: "axis"}, r.count));
    y += heights[i];
  });
  return chartBox(title, root);
}
