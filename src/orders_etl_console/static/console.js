// The console's script: confirm actions, draw the graph with mermaid, show a state's details, refresh while running.
"use strict";

function confirmActions() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

function showState(name) {
  document.querySelectorAll(".state-detail").forEach((section) => { section.hidden = section.dataset.state !== name; });
  document.querySelectorAll("tr.state, #graph g.node").forEach((element) => {
    element.classList.toggle("selected", element.dataset.state === name);
  });
  if (location.hash !== "#" + encodeURIComponent(name)) history.replaceState(null, "", "#" + encodeURIComponent(name));
}

async function drawGraph() {
  const source = document.getElementById("graph-source");
  if (!source || !window.mermaid) return;
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", flowchart: { htmlLabels: true, nodeSpacing: 30, rankSpacing: 36 } });
  const { svg } = await window.mermaid.render("state-graph", JSON.parse(source.textContent));
  const graph = document.getElementById("graph");
  graph.innerHTML = svg;
  const names = JSON.parse(document.getElementById("state-ids").textContent);
  graph.querySelectorAll("g.node").forEach((node) => {
    const match = node.id.match(/flowchart-(s\d+)-/);
    if (!match || !(match[1] in names)) return;
    node.dataset.state = names[match[1]];
    node.addEventListener("click", () => showState(node.dataset.state));
  });
  graph.dataset.drawn = "true";
}

function stateRows() {
  document.querySelectorAll("tr.state").forEach((row) => {
    row.addEventListener("click", () => showState(row.dataset.state));
    row.addEventListener("keydown", (event) => { if (event.key === "Enter") showState(row.dataset.state); });
  });
}

function refreshWhileRunning() {
  const seconds = Number(document.body.dataset.refresh || 0);
  if (seconds > 0) setTimeout(() => location.reload(), seconds * 1000);
}

document.addEventListener("DOMContentLoaded", async () => {
  confirmActions();
  stateRows();
  refreshWhileRunning();
  try {
    await drawGraph();
  } catch (error) {
    document.getElementById("graph").textContent = "The graph could not be drawn: " + error;
  }
  if (location.hash.length > 1) showState(decodeURIComponent(location.hash.slice(1)));
});
