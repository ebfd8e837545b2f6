// The aloft console: fills the page shell from the JSON routes under /api/.
"use strict";

const POLL_MS = Number(document.body.dataset.pollMs) || 1000;
const main = document.getElementById("main");

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k));
  return e;
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({headers: {"X-Aloft-Console": "1"}}, opts));
  if (!r.ok) throw new Error((await r.text()).trim() || r.statusText);
  return r.json();
}

const post = (path) => api(path, {method: "POST"});
const phase = (p) => el("span", {class: "phase phase-" + p}, p);
const time = (ms) => ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
function dur(a, b) {
  if (!a) return "";
  const s = ((b || Date.now()) - a) / 1000;
  return s < 60 ? s.toFixed(1) + "s" : s < 3600 ? Math.floor(s / 60) + "m" + Math.round(s % 60) + "s" : (s / 3600).toFixed(1) + "h";
}
const terminal = (p) => ["succeeded", "failed", "aborted"].includes(p);
function fail(err) { main.prepend(el("p", {class: "error", id: "error"}, String(err.message || err))); }

// ---- executions list

async function listPage() {
  const q = new URLSearchParams(location.search);
  const form = el("form", {class: "filters", id: "filters"},
    ["project", "domain", "workflow", "launch_plan"].map((f) => el("input", {name: f, placeholder: f.replace("_", " "), value: q.get(f) || ""})),
    el("select", {name: "phase"}, ["", "pending", "running", "succeeded", "failed", "aborted"].map((p) => {
      const o = el("option", {value: p}, p || "any phase");
      if (q.get("phase") === p) o.selected = true;
      return o;
    })),
    el("button", {type: "submit"}, "Filter"));
  const body = el("tbody");
  const table = el("table", {id: "executions"},
    el("thead", {}, el("tr", {}, ["Execution", "Workflow", "Launch plan", "Phase", "Cause", "Started", "Duration"].map((h) => el("th", {}, h)))), body);
  const more = el("button", {id: "more", hidden: true}, "Older");
  main.replaceChildren(el("h2", {}, "Executions"), form, table, more);
  let after = "";
  async function load() {
    const p = new URLSearchParams(q);
    if (after) p.set("after", after);
    const page = await api("/api/executions?" + p);
    for (const r of page.rows) {
      body.append(el("tr", {class: "exec", "data-exec": r.execution},
        el("td", {}, el("a", {href: `/executions/${r.project}/${r.domain}/${r.execution}`}, r.execution)),
        el("td", {}, r.workflow), el("td", {}, r.launch_plan || ""), el("td", {}, phase(r.phase)),
        el("td", {}, r.cause || ""), el("td", {}, time(r.started)), el("td", {}, dur(r.started, r.ended))));
    }
    after = page.next || "";
    more.hidden = !after;
  }
  more.addEventListener("click", () => load().catch(fail));
  await load();
}

// ---- one execution

function valuesTable(id, vals) {
  if (!vals || !vals.length) return el("p", {class: "muted", id}, "none");
  return el("table", {id}, el("tbody", {}, vals.map((v) => el("tr", {"data-name": v.name},
    el("th", {}, v.name), el("td", {class: "muted"}, v.type || ""),
    el("td", {}, v.href ? el("a", {href: v.href}, v.text) : v.text),
    el("td", {class: "muted"}, v.size ? v.size + " B" : "", v.digest ? " " + v.digest.slice(0, 19) + "…" : "")))));
}

async function execPage(project, domain, exec) {
  const base = `/api/executions/${project}/${domain}/${exec}`;
  const header = el("section", {id: "header"});
  const actions = el("section", {id: "actions"});
  const io = el("section", {id: "io"});
  const nodes = el("section", {id: "nodes-section"});
  const graph = el("section", {id: "graph-section"});
  const timeline = el("section", {id: "timeline-section"});
  const detail = el("section", {id: "detail", hidden: true});
  main.replaceChildren(header, actions, io, nodes, detail, graph, timeline);
  let selected = "", view = null, shape = "";
  const act = (a) => post(`${base}/${a}`).then((r) => {
    actions.querySelector(".note")?.remove();
    actions.append(el("span", {class: "note muted", id: "action-result"}, r.message));
  }).catch(fail);
  actions.append(el("button", {id: "terminate", onclick: () => act("terminate")}, "Terminate"),
    el("button", {id: "relaunch", onclick: () => act("relaunch")}, "Relaunch"),
    el("button", {id: "recover", onclick: () => act("recover")}, "Recover"));

  async function render() {
    view = await api(base);
    header.replaceChildren(el("h2", {}, view.workflow, " ", el("span", {id: "phase"}, phase(view.phase))),
      el("table", {}, el("tbody", {},
        [["execution", `${view.execution} (${view.project}/${view.domain})`], ["launch plan", view.launch_plan || "—"],
         ["cause", view.cause || "—"], ["started", time(view.started)], ["duration", dur(view.started, view.ended)],
         ["nodes done", `${view.done} of ${view.nodes.length}`]].map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))))),
      view.error ? el("p", {class: "error", id: "exec-error"}, view.error) : "");
    actions.querySelector("#terminate").disabled = terminal(view.phase);
    io.replaceChildren(el("h3", {}, "Inputs"), valuesTable("inputs", view.inputs), el("h3", {}, "Outputs"), valuesTable("outputs", view.outputs));
    nodes.replaceChildren(el("h3", {}, "Nodes"), el("table", {id: "nodes"},
      el("thead", {}, el("tr", {}, ["Node", "Phase", "Attempts", "Cached", "Duration", "Resources", "Target", "Error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, view.nodes.map((n) => el("tr", {class: "node" + (n.name === selected ? " selected" : ""), "data-node": n.name, onclick: () => openNode(n.name)},
        el("td", {}, n.name, n.kind === "map" ? el("span", {class: "muted"}, ` (map, ${n.items} items)`) : ""),
        el("td", {}, phase(n.phase), n.item_phases ? el("div", {class: "items muted"}, Object.entries(n.item_phases).map(([p, c]) => el("span", {}, `${p}: ${c}`))) : ""),
        el("td", {}, n.attempts || ""), el("td", {}, n.cached ? "yes" : ""), el("td", {}, dur(n.start, n.end)),
        el("td", {}, n.resources || ""), el("td", {}, n.target || "local"), el("td", {class: "error"}, n.error || ""))))));
    // The layout depends only on the graph's shape: redraw it when that
    // changes, recolour otherwise.
    const s = view.nodes.map((n) => n.name + ":" + (n.deps || []).join(",")).join(";");
    if (s !== shape) { shape = s; graph.replaceChildren(el("h3", {}, "Graph"), drawGraph(view.nodes, openNode)); }
    for (const n of view.nodes) graph.querySelector(`g.gnode[data-node="${CSS.escape(n.name)}"] rect`)?.setAttribute("class", "fill-" + n.phase);
    timeline.replaceChildren(el("h3", {}, "Timeline"), drawTimeline(view.nodes));
    if (selected) await openNode(selected, true);
    if (!terminal(view.phase)) setTimeout(() => render().catch(fail), POLL_MS);
  }

  async function openNode(name, refresh, item) {
    selected = name;
    for (const tr of nodes.querySelectorAll("tr.node")) tr.classList.toggle("selected", tr.dataset.node === name);
    const q = item !== undefined && item >= 0 ? `?item=${item}` : "";
    const n = await api(`${base}/nodes/${encodeURIComponent(name)}${q}`);
    const title = n.item >= 0 ? `${n.name}[${n.item}]` : n.name;
    detail.hidden = false;
    detail.replaceChildren(el("h3", {}, "Node ", el("span", {id: "detail-name"}, title), " ", phase(n.phase)),
      n.error ? el("p", {class: "error"}, n.error) : "",
      el("h4", {}, "Inputs"), valuesTable("node-inputs", n.inputs),
      el("h4", {}, "Outputs"), valuesTable("node-outputs", n.outputs),
      n.item_list ? itemsBlock(n, (i) => openNode(name, false, i)) : "",
      el("h4", {}, "Attempts"),
      (n.attempt_list || []).map((a) => el("div", {class: "attempt", "data-attempt": a.attempt},
        el("p", {}, el("b", {}, `Attempt ${a.attempt}`), ` queued ${time(a.queued)}, started ${time(a.started)}, ended ${time(a.ended)}`,
          a.job_id ? ` — job ${a.job_id}` : "", a.exit_code !== undefined ? ` — exit ${a.exit_code}` : ""),
        a.error ? el("p", {class: "error"}, a.error) : "",
        a.log_tail ? el("pre", {class: "log"}, a.log_tail) : "",
        a.log_href ? el("a", {href: a.log_href, download: `${title}-${a.attempt}.log`}, "whole log") : "")));
  }

  await render();
}

function itemsBlock(n, open) {
  const counts = Object.entries(n.item_phases || {}).map(([p, c]) => el("span", {}, `${p}: ${c}`));
  const list = el("div", {class: "item-list", hidden: true}, n.item_list.map((p, i) =>
    el("button", {class: "item", onclick: () => open(n.items_from + i)}, `${n.items_from + i} `, phase(p))));
  return el("div", {id: "items"}, el("h4", {}, `Items (${n.items})`), el("div", {class: "items"}, counts),
    el("button", {id: "expand-items", onclick: () => { list.hidden = !list.hidden; }}, "show items"), list);
}

// drawGraph lays the DAG out with dagre and draws it as SVG.
function drawGraph(nodes, open) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => { const e = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  const g = new dagre.graphlib.Graph();
  g.setGraph({rankdir: "LR", nodesep: 24, ranksep: 48, marginx: 12, marginy: 12});
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.name, {width: Math.max(80, 8 * n.name.length + 24), height: 32});
  for (const n of nodes) for (const d of n.deps || []) g.setEdge(d, n.name);
  dagre.layout(g);
  const root = svg("svg", {id: "graph", width: g.graph().width, height: g.graph().height});
  const defs = svg("defs", {});
  const marker = svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto"});
  marker.append(svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#6b7380"}));
  defs.append(marker);
  root.append(defs);
  for (const e of g.edges()) {
    const pts = g.edge(e).points;
    root.append(svg("path", {class: "gedge", "data-from": e.v, "data-to": e.w, d: "M" + pts.map((p) => `${p.x},${p.y}`).join(" L")}));
  }
  for (const n of nodes) {
    const p = g.node(n.name);
    const grp = svg("g", {class: "gnode" + (n.kind === "map" ? " map" : ""), "data-node": n.name});
    grp.append(svg("rect", {x: p.x - p.width / 2, y: p.y - p.height / 2, width: p.width, height: p.height, class: "fill-" + n.phase}));
    const t = svg("text", {x: p.x, y: p.y + 4, "text-anchor": "middle"});
    t.textContent = n.kind === "map" ? `${n.name} [${n.items}]` : n.name;
    grp.append(t);
    grp.addEventListener("click", () => open(n.name));
    root.append(grp);
  }
  return root;
}

// drawTimeline draws a bar per node and attempt, from queued to ended (the
// started part darker); a node with no attempt times (cached, a map) gets
// one bar from its start to its end.
function drawTimeline(nodes) {
  const spans = [];
  for (const n of nodes) {
    const t = n.times || [];
    if (t.length >= 3) {
      for (let a = 0; a * 3 < t.length; a++) {
        const last = (a + 1) * 3 >= t.length;
        spans.push({node: n, label: t.length > 3 ? `${n.name} #${a + 1}` : n.name, q: t[a * 3], s: t[a * 3 + 1], e: t[a * 3 + 2],
          phase: last ? n.phase : "failed", attempt: a + 1});
      }
    } else if (n.start) {
      spans.push({node: n, label: n.name, q: n.start, s: 0, e: n.end, phase: n.phase, attempt: 0});
    }
  }
  const box = el("div", {id: "timeline"});
  if (!spans.length) {
    box.append(el("p", {class: "muted"}, "nothing started yet"));
    return box;
  }
  const t0 = Math.min(...spans.map((b) => b.q));
  const running = spans.some((b) => !b.e);
  const t1 = Math.max(...spans.map((b) => b.e || b.q), running ? Date.now() : 0, t0 + 1);
  const pct = (t) => (100 * (t - t0)) / (t1 - t0);
  for (const b of spans) {
    const end = b.e || t1;
    const bar = el("div", {class: `bar bar-${b.phase}` + (b.node.cached ? " cached" : ""), "data-node": b.node.name, "data-attempt": b.attempt,
      style: `left:${pct(b.q)}%;width:${Math.max(0.3, pct(end) - pct(b.q))}%`,
      title: `${b.label}: ${b.phase}, queued ${time(b.q)}` + (b.s ? `, started ${time(b.s)}` : "") + (b.e ? `, ended ${time(b.e)}` : "")});
    if (b.s) bar.append(el("div", {class: "ran", style: `margin-left:${(100 * (b.s - b.q)) / Math.max(1, end - b.q)}%`}));
    box.append(el("div", {class: "trow"}, el("div", {class: "tlabel"}, b.label), el("div", {class: "ttrack"}, bar)));
  }
  return box;
}

// ---- registry pages

async function plansPage() {
  const plans = await api("/api/launchplans");
  const rerender = () => plansPage().catch(fail);
  main.replaceChildren(el("h2", {}, "Launch plans"), el("table", {id: "plans"},
    el("thead", {}, el("tr", {}, ["Launch plan", "Project/domain", "Versions", "Active", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, plans.map((p) => {
      const base = `/api/launchplans/${p.project}/${p.domain}/${p.name}`;
      const latest = p.versions[p.versions.length - 1];
      return el("tr", {"data-plan": p.name}, el("td", {}, p.name), el("td", {}, `${p.project}/${p.domain}`), el("td", {}, p.versions.join(", ")),
        el("td", {}, p.active || "—"),
        el("td", {}, p.active ? el("button", {class: "deactivate", onclick: () => post(`${base}/deactivate`).then(rerender, fail)}, "Deactivate")
          : el("button", {class: "activate", onclick: () => post(`${base}/activate?version=${encodeURIComponent(latest)}`).then(rerender, fail)}, `Activate ${latest}`)));
    }))));
}

async function workflowsPage() {
  const wfs = await api("/api/workflows");
  main.replaceChildren(el("h2", {}, "Workflows"), el("table", {id: "workflows"},
    el("thead", {}, el("tr", {}, ["Workflow", "Project/domain", "Versions"].map((h) => el("th", {}, h)))),
    el("tbody", {}, wfs.map((w) => el("tr", {}, el("td", {}, w.name), el("td", {}, `${w.project}/${w.domain}`), el("td", {}, w.versions.join(", ")))))));
}

function route() {
  const p = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (p[0] === "executions" && p.length === 4) return execPage(p[1], p[2], p[3]);
  if (p[0] === "launchplans") return plansPage();
  if (p[0] === "workflows") return workflowsPage();
  return listPage();
}

route().then(() => document.body.setAttribute("data-ready", "1")).catch(fail);
