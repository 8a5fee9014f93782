// Source health: each source's last run, items, errors, failures in a row, parse-failure rate, open alerts.
"use strict";

const ALERT_KINDS = {failing: "抓取连续失败", quiet: "长时间无新帖", parsing: "页面解析异常"};

function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(rate < 0.1 && rate > 0 ? 1 : 0)}%`;
}

function sourceCard(s) {
  const alerts = s.alerts || [];
  const failing = s.consecutive_failures > 0 || alerts.length > 0;
  const card = el("article", `source-card${failing ? " bad" : ""}${s.enabled ? "" : " disabled"}`);
  card.dataset.source = s.source;
  const head = el("div", "source-head");
  const state = !s.enabled ? ["停用", "off"] : (failing ? ["异常", "bad"] : (s.last_run_at ? ["正常", "ok"] : ["未运行", "off"]));
  head.append(el("span", `badge health-${state[1]}`, state[0]), el("h3", null, s.name));
  card.append(head);
  const facts = el("dl", "facts");
  const add = (k, v, cls) => facts.append(el("dt", null, k), el("dd", cls || null, v));
  add("最近运行", fmtTime(s.last_run_at));
  add("最近成功", fmtTime(s.last_success_at));
  add("本次条目", `${s.last_items}（新 ${s.last_new_items}）`);
  add("累计条目", String(s.total_items));
  add("累计错误", String(s.total_errors), s.total_errors ? "warn" : null);
  add("累计解析失败", String(s.total_parse_failures), s.total_parse_failures ? "warn" : null);
  add("连续失败", String(s.consecutive_failures), s.consecutive_failures ? "error" : null);
  add("本次解析失败率", percent(s.last_parse_failure_rate), s.last_parse_failure_rate > 0.2 ? "error" : null);
  card.append(facts);
  if (s.last_error) card.append(el("p", "last-error", `最近错误：${s.last_error}`));
  if (alerts.length) {
    const list = el("ul", "alerts");
    for (const a of alerts) {
      const li = el("li");
      li.append(el("span", "badge lv-3", ALERT_KINDS[a.kind] || a.kind), el("span", null, `${fmtTime(a.opened_at)} ${a.detail}`));
      list.append(li);
    }
    card.append(el("h4", null, "未解除的运维告警"), list);
  }
  return card;
}

async function loadSources() {
  const sources = await getJSON("/api/v1/sources");
  const bad = sources.filter((s) => s.consecutive_failures > 0 || (s.alerts || []).length).length;
  document.getElementById("summary").textContent = `共 ${sources.length} 个，异常 ${bad} 个`;
  // Troubled sources first: that is what an admin opens this page for.
  sources.sort((a, b) => ((b.alerts || []).length + b.consecutive_failures) - ((a.alerts || []).length + a.consecutive_failures));
  document.getElementById("sources").replaceChildren(...sources.map(sourceCard));
}

document.addEventListener("DOMContentLoaded", () => {
  loadSources().catch((e) => { document.getElementById("sources").textContent = "加载失败：" + e.message; });
  setInterval(() => loadSources().catch(console.error), 30000);
});
