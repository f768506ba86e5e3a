/* The network dashboard: leaderboard, trending products and merchants, and one agent's 30 days.
 *
 * Everything is fetched live from this API, relative to where the page is served (so it works on
 * 127.0.0.1:3000 and behind an API Gateway stage prefix), and drawn with Chart.js.
 * Nothing the API returns is put into the DOM as HTML: only as textContent or chart data.
 * The agent's token stays in this closure: it goes into one Authorization header, never into a
 * URL, a cookie or browser storage.
 */
(function () {
  "use strict";

  // This script is served at <base>/dashboard/assets/dashboard.js; the API is at <base>/.
  const API_BASE = new URL("../../", document.currentScript.src);
  const REFRESH_MS = 60000;
  const COLORS = {
    searches: "#4e79a7",
    clicks: "#f28e2b",
    conversions: "#59a14f",
    revenue: "#e15759",
    reputation: "#76b7b2",
  };
  const charts = {};
  const sequence = { leaderboard: 0, trending: 0, agent: 0 };
  let credentials = null; // {agentId, token} once the agent form is submitted; memory only

  const byId = (id) => document.getElementById(id);

  if (typeof Chart === "undefined") {
    byId("updated").textContent = "The charting library did not load (dashboard/assets/chart.umd.min.js).";
    return;
  }
  Chart.defaults.animation = false; // draw at once: refreshes do not flicker, screenshots are complete
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";

  class ApiProblem extends Error {
    constructor(status, code, message, requestId) {
      super(message);
      this.status = status;
      this.code = code;
      this.requestId = requestId;
    }
  }

  async function getJson(path, params, token) {
    const url = new URL(path, API_BASE);
    for (const [name, value] of Object.entries(params || {})) {
      url.searchParams.set(name, value);
    }
    const headers = { Accept: "application/json" };
    if (token) {
      headers.Authorization = "Bearer " + token;
    }
    let response;
    try {
      response = await fetch(url, { headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
    } catch (failure) {
      throw new ApiProblem(0, "NETWORK_ERROR", "The API could not be reached.", null);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (notJson) {
      body = null;
    }
    if (!response.ok) {
      const error = body && typeof body.error === "object" && body.error ? body.error : {};
      throw new ApiProblem(
        response.status,
        String(error.code || "HTTP_" + response.status),
        String(error.message || response.statusText || "The request failed."),
        error.request_id || response.headers.get("X-Request-Id"),
      );
    }
    return body;
  }

  function showError(id, problem) {
    const box = byId(id);
    if (!problem) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    const status = problem.status ? problem.status + " " : "";
    const code = problem.code || "ERROR";
    const request = problem.requestId ? " (request " + problem.requestId + ")" : "";
    box.textContent = status + code + ": " + problem.message + request;
    box.hidden = false;
  }

  function setState(section, state) {
    byId(section).dataset.state = state;
  }

  function number(value) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : 0;
  }

  // Money is an object by ISO 4217 code ({EUR: "3.00", USD: "12.50"}): shown with its code,
  // never added across currencies.
  function money(value, currency) {
    return number(value).toFixed(2) + " " + currency;
  }

  function amounts(byCurrency) {
    const codes = Object.keys(byCurrency || {}).sort();
    return codes.length ? codes.map((code) => money(byCurrency[code], code)).join(", ") : "–";
  }

  function currenciesOf(list, field) {
    const codes = new Set();
    for (const item of list) {
      Object.keys(item[field] || {}).forEach((code) => codes.add(code));
    }
    return Array.from(codes).sort();
  }

  function revenueIn(item, currency) {
    return number((item.revenue || {})[currency]);
  }

  function percent(rate) {
    if (rate === null || rate === undefined) {
      return "–";
    }
    const value = number(rate) * 100;
    return (value > 0 ? "+" : "") + value.toFixed(1) + "%";
  }

  function shorten(text, length) {
    const value = String(text);
    return value.length > length ? value.slice(0, length - 1) + "…" : value;
  }

  function asOf(id, when) {
    byId(id).textContent = when ? "Rolled up as of " + when : "Not rolled up yet.";
  }

  function draw(id, config) {
    if (charts[id]) {
      charts[id].destroy();
    }
    charts[id] = new Chart(byId(id), config);
  }

  function clear(id) {
    if (charts[id]) {
      charts[id].destroy();
      delete charts[id];
    }
  }

  function bars(label, values, color, axis) {
    const dataset = { label, data: values, backgroundColor: color, borderColor: color };
    if (axis) {
      dataset.yAxisID = axis;
    }
    return dataset;
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  // ---------------------------------------------------------------- leaderboard

  async function loadLeaderboard() {
    const mine = ++sequence.leaderboard;
    const metric = byId("leaderboard-metric").value;
    const period = byId("leaderboard-period").value;
    const currency = byId("leaderboard-currency").value;
    byId("leaderboard-currency").disabled = metric !== "revenue";
    setState("leaderboard", "loading");
    let board;
    try {
      board = await getJson("analytics/leaderboard", metric === "revenue" ? { metric, period, currency } : { metric, period });
    } catch (problem) {
      if (mine === sequence.leaderboard) {
        showError("leaderboard-error", problem);
        setState("leaderboard", "error");
      }
      return;
    }
    if (mine !== sequence.leaderboard) {
      return; // a newer request (another metric or period) answers instead
    }
    showError("leaderboard-error", null);
    const rows = Array.isArray(board.agents) ? board.agents : [];
    byId("leaderboard-empty").hidden = rows.length > 0;
    draw("leaderboard-chart", {
      type: "bar",
      data: {
        labels: rows.map((row) => shorten(row.agent_name || row.agent_id, 24)),
        datasets: [
          metric === "revenue"
            ? bars("revenue (" + currency + ")", rows.map((row) => revenueIn(row, currency)), COLORS.revenue)
            : bars(metric, rows.map((row) => number(row[metric])), COLORS[metric]),
        ],
      },
      options: {
        plugins: {
          legend: { display: false },
          title: { display: true, text: "Top agents by " + (metric === "revenue" ? "revenue in " + currency : metric) },
        },
        scales: { y: { beginAtZero: true, title: { display: true, text: metric === "revenue" ? currency : metric } } },
      },
    });
    const body = byId("leaderboard-table").tBodies[0];
    body.replaceChildren();
    for (const row of rows) {
      const tr = document.createElement("tr");
      cell(tr, String(row.rank));
      cell(tr, row.agent_name || row.agent_id).title = String(row.agent_id);
      cell(tr, String(row.conversions));
      cell(tr, amounts(row.revenue));
      cell(tr, String(row.searches));
      cell(tr, percent(row.growth_rate));
      const pick = document.createElement("button");
      pick.type = "button";
      pick.textContent = "Timeline";
      pick.addEventListener("click", () => {
        byId("agent-id").value = String(row.agent_id);
        byId("agent-token").focus();
      });
      cell(tr, "").appendChild(pick);
      body.appendChild(tr);
    }
    asOf("leaderboard-as-of", board.as_of);
    setState("leaderboard", "ready");
  }

  // ---------------------------------------------------------------- trending

  async function loadTrending() {
    const mine = ++sequence.trending;
    const days = byId("trending-days").value;
    setState("trending", "loading");
    let trending;
    try {
      trending = await getJson("analytics/trending", { days });
    } catch (problem) {
      if (mine === sequence.trending) {
        showError("trending-error", problem);
        setState("trending", "error");
      }
      return;
    }
    if (mine !== sequence.trending) {
      return;
    }
    showError("trending-error", null);
    const products = Array.isArray(trending.products) ? trending.products : [];
    const merchants = Array.isArray(trending.merchants) ? trending.merchants : [];
    const keywords = Array.isArray(trending.keywords) ? trending.keywords : [];
    byId("products-empty").hidden = products.length > 0;
    byId("merchants-empty").hidden = merchants.length > 0;
    draw("products-chart", {
      type: "bar",
      data: {
        labels: products.map((p) => shorten(p.title, 32)),
        datasets: ["searches", "clicks", "conversions"].map((name) =>
          bars(name, products.map((p) => number(p[name])), COLORS[name]),
        ),
      },
      options: {
        indexAxis: "y",
        plugins: {
          tooltip: { callbacks: { title: (items) => String(products[items[0].dataIndex].title) } },
        },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    draw("merchants-chart", {
      type: "bar",
      data: {
        labels: merchants.map((m) => shorten(m.name || m.merchant_id, 24)),
        datasets: [
          bars("clicks", merchants.map((m) => number(m.clicks)), COLORS.clicks, "y"),
          bars("conversions", merchants.map((m) => number(m.conversions)), COLORS.conversions, "y"),
          bars("orders", merchants.map((m) => number(m.orders)), COLORS.searches, "y"),
          ...currenciesOf(merchants, "revenue").map((code) =>
            bars("revenue (" + code + ")", merchants.map((m) => revenueIn(m, code)), COLORS.revenue, "revenue"),
          ),
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "count" } },
          revenue: {
            position: "right",
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            title: { display: true, text: "revenue, each in its currency" },
          },
        },
      },
    });
    byId("keywords").textContent = keywords.length
      ? keywords.map((k) => k.keyword + " (" + k.searches + ")").join(", ")
      : "none yet";
    showNetwork(trending.network || {});
    const approximate = trending.approximate ? " Approximate: a day had more entries than its top list." : "";
    asOf("trending-as-of", trending.as_of);
    byId("trending-as-of").textContent += approximate;
    setState("trending", "ready");
  }

  // The network's totals, all time, as of the last rollup (they come with the trending answer).
  function showNetwork(network) {
    const list = byId("network-totals");
    list.replaceChildren();
    const entries = [
      ["Agents", String(number(network.agents))],
      ["Searches", String(number(network.searches))],
      ["Conversions", String(number(network.conversions))],
      ["Commission", amounts(network.commission)],
    ];
    for (const [term, description] of entries) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = description;
      dd.dataset.total = term.toLowerCase();
      list.append(dt, dd);
    }
  }

  // ---------------------------------------------------------------- one agent's 30 days

  function summarize(analytics) {
    const list = byId("agent-summary");
    list.replaceChildren();
    const trends = analytics.revenue_trend || {};
    const codes = Object.keys(trends).sort();
    const entries = [
      [
        "Revenue, last 7 days",
        codes
          .map(
            (code) =>
              money(trends[code].last_7_days, code) + " (the 7 before: " + money(trends[code].previous_7_days, code) +
              ", growth " + percent(trends[code].growth_rate) + ")",
          )
          .join("; ") || "–",
      ],
      ["Top merchants", (analytics.top_merchants || []).map((m) => m.name + " (" + m.count + ")").join(", ") || "–"],
      ["Top brands", (analytics.top_brands || []).map((b) => b.name + " (" + b.count + ")").join(", ") || "–"],
      ["Recent searches", (analytics.recent_searches || []).slice(0, 5).map((s) => s.keywords).join(", ") || "–"],
    ];
    for (const [term, description] of entries) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = description;
      list.append(dt, dd);
    }
  }

  async function loadAgent() {
    if (!credentials) {
      return;
    }
    const mine = ++sequence.agent;
    setState("agent", "loading");
    let analytics;
    try {
      const path = "agents/" + encodeURIComponent(credentials.agentId) + "/analytics";
      analytics = await getJson(path, {}, credentials.token);
    } catch (problem) {
      if (mine === sequence.agent) {
        showError("agent-error", problem);
        clear("timeline-chart");
        byId("agent-summary").replaceChildren();
        setState("agent", "error");
      }
      return;
    }
    if (mine !== sequence.agent) {
      return;
    }
    showError("agent-error", null);
    const days = Array.isArray(analytics.timeline) ? analytics.timeline : [];
    const line = (label, color, values, axis) => ({
      label,
      data: values,
      borderColor: color,
      backgroundColor: color,
      yAxisID: axis,
      tension: 0.2,
      pointRadius: 2,
    });
    const count = (name) => line(name, COLORS[name], days.map((day) => number(day[name])), "y");
    const revenue = currenciesOf(days, "revenue").map((code) =>
      line("revenue (" + code + ")", COLORS.revenue, days.map((day) => revenueIn(day, code)), "revenue"),
    );
    draw("timeline-chart", {
      type: "line",
      data: {
        labels: days.map((day) => String(day.date)),
        datasets: [count("searches"), count("clicks"), count("conversions"), ...revenue],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        plugins: { title: { display: true, text: String(analytics.agent_id) } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "count" } },
          revenue: {
            position: "right",
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            title: { display: true, text: "revenue, each in its currency" },
          },
        },
      },
    });
    summarize(analytics);
    setState("agent", "ready");
  }

  // ---------------------------------------------------------------- wiring

  async function refreshAll() {
    await Promise.all([loadLeaderboard(), loadTrending(), loadAgent()]);
    byId("updated").textContent = "Updated " + new Date().toLocaleTimeString();
  }

  byId("leaderboard-metric").addEventListener("change", loadLeaderboard);
  byId("leaderboard-period").addEventListener("change", loadLeaderboard);
  byId("leaderboard-currency").addEventListener("change", loadLeaderboard);
  byId("trending-days").addEventListener("change", loadTrending);
  byId("refresh").addEventListener("click", refreshAll);
  byId("agent-form").addEventListener("submit", (event) => {
    event.preventDefault(); // never submitted: the token must not reach a URL
    credentials = { agentId: byId("agent-id").value.trim(), token: byId("agent-token").value.trim() };
    loadAgent();
  });
  byId("agent-forget").addEventListener("click", () => {
    credentials = null;
    sequence.agent++;
    byId("agent-token").value = "";
    clear("timeline-chart");
    byId("agent-summary").replaceChildren();
    showError("agent-error", null);
    setState("agent", "idle");
  });

  setState("agent", "idle");
  refreshAll();
  setInterval(refreshAll, REFRESH_MS);
})();
