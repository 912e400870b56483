// llmem's web page: reads the form, asks the server (the CLI's own estimates), draws tables and SVG. No libraries.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("form");
  const FIELDS = ["model", "gpu", "gpus", "batch", "context", "engine", "dtype", "quant", "kv", "tp", "method", "optimizer", "precision", "rank", "checkpointing", "zero"];
  const DEFAULTS = { mode: "infer", model: "llama-3.1-8b", gpu: "rtx-4090-24gb" };
  const MAX_HEADER = 64 * 1024 * 1024;
  const GiB = 1024 ** 3;
  let controller = null;
  let timer = 0;
  let accuracy = [];

  const gib = (b) => (b / GiB).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " GiB";
  const gb = (b) => (b / 1e9).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " GB";
  const tokens = (n) => n >= 1024 && n % 1024 === 0 ? (n / 1024) + "k" : String(n);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") e.textContent = v; else if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };
  const svg = (tag, attrs = {}, text) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // ---- state: the form, the URL and the CLI command are three views of one object ----
  const mode = () => form.querySelector("input[name=mode]:checked").value;

  function readState() {
    const s = { mode: mode() };
    for (const f of FIELDS) {
      const v = form.elements[f].value.trim();
      if (v !== "") s[f] = v;
    }
    return s;
  }

  function writeState(s) {
    form.querySelector(`input[name=mode][value=${s.mode === "train" ? "train" : "infer"}]`).checked = true;
    for (const f of FIELDS) {
      const input = form.elements[f];
      if (input.tagName === "SELECT" && s[f] && ![...input.options].some((o) => o.value === s[f])) input.append(el("option", { value: s[f], text: s[f] }));
      input.value = s[f] ?? "";
    }
    showMode();
  }

  function stateFromUrl() {
    const p = new URLSearchParams(location.search);
    if ([...p.keys()].length === 0) return { ...DEFAULTS };
    const s = { mode: p.get("mode") || "infer" };
    for (const f of FIELDS) if (p.get(f)) s[f] = p.get(f);
    return s;
  }

  function urlFor(s) {
    const p = new URLSearchParams();
    p.set("mode", s.mode);
    for (const f of FIELDS) if (s[f] !== undefined && relevant(s, f)) p.set(f, s[f]);
    return location.pathname + "?" + p.toString();
  }

  const INFER_ONLY = ["engine", "dtype", "quant", "kv", "tp"];
  const TRAIN_ONLY = ["method", "optimizer", "precision", "rank", "checkpointing", "zero"];
  function relevant(s, f) {
    if (s.mode === "train" && INFER_ONLY.includes(f)) return false;
    if (s.mode !== "train" && TRAIN_ONLY.includes(f)) return false;
    if (f === "kv" && !(s.engine === "vllm" || s.engine === "llamacpp")) return false;
    return true;
  }

  // The CLI's options for the API (the same names as on the command line, underscores for hyphens).
  function options(s) {
    const o = {};
    for (const f of FIELDS) {
      if (s[f] === undefined || !relevant(s, f)) continue;
      if (f === "kv") {
        if (s.engine === "llamacpp") { o.cache_type_k = s.kv; o.cache_type_v = s.kv; }
        else o.kv_cache_dtype = s.kv;
      } else if (f === "tp") o.tensor_parallel_size = s.tp;
      else o[f] = s[f];
    }
    return o;
  }

  function cliCommand(s) {
    const o = options(s);
    const quote = (v) => /^[A-Za-z0-9_./:@,=+-]+$/.test(v) ? v : "'" + String(v).replace(/'/g, "'\\''") + "'";
    const parts = ["llmem", s.mode === "train" ? "train" : "infer", quote(o.model || "")];
    for (const [k, v] of Object.entries(o)) if (k !== "model") parts.push("--" + k.replace(/_/g, "-"), quote(v));
    return parts.join(" ");
  }

  function showMode() {
    const m = mode();
    for (const g of document.querySelectorAll("[data-mode]")) g.hidden = g.dataset.mode !== m;
    $("context-label").textContent = m === "train" ? "Sequence (tokens)" : "Context (tokens)";
    const e = form.elements.engine.value;
    form.querySelector("[data-field=kv]").hidden = !(e === "vllm" || e === "llamacpp");
  }

  // ---- requests ----
  async function post(path, body, signal) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });
    const j = await r.json();
    if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
    return j;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  }

  async function update() {
    showMode();
    const s = readState();
    history.replaceState(null, "", urlFor(s));
    $("cli").textContent = cliCommand(s);
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const results = $("results");
    results.setAttribute("aria-busy", "true");
    document.body.dataset.state = "busy";
    $("status").className = "status";
    $("status").textContent = "Estimating…";
    for (const w of document.querySelectorAll(".field-warning")) w.remove();
    if (!s.model) { fail("Pick a model: a catalog name, a Hub id (org/name) or a parameter count such as 8B."); return; }
    const command = s.mode === "train" ? "train" : "infer";
    const opts = options(s);
    try {
      const estimate = await post("/api/" + command, opts, signal);
      renderEstimate(estimate, s);
      $("status").textContent = "";
      const contexts = sweepContexts(Number(estimate.workload.settings.context || estimate.workload.settings.sequence || 4096));
      const [sweep, fits] = await Promise.all([
        post("/api/sweep", { command, options: opts, contexts }, signal),
        post("/api/fits", { command, options: opts }, signal),
      ]);
      renderChart(sweep.points, Number(estimate.workload.settings.context || 0));
      renderFits(fits.gpus, s);
      renderAccuracy(s);
      results.setAttribute("aria-busy", "false");
      document.body.dataset.state = "ready";
    } catch (e) {
      if (e.name === "AbortError") return;
      fail(e.message);
    }
  }

  function fail(message) {
    $("status").className = "status error";
    $("status").textContent = message;
    for (const id of ["summary", "devices", "chart", "fits"]) $(id).replaceChildren();
    $("warnings").replaceChildren();
    $("results").setAttribute("aria-busy", "false");
    document.body.dataset.state = "error";
  }

  function sweepContexts(current) {
    const xs = new Set();
    for (let t = 512; t <= Math.max(32768, current * 2) && xs.size < 14; t *= 2) xs.add(t);
    if (current > 0) xs.add(current);
    return [...xs].sort((a, b) => a - b).slice(0, 16);
  }

  // ---- rendering ----
  function renderEstimate(est, s) {
    const peak = est.devices.reduce((m, d) => Math.max(m, d.total_bytes), 0);
    const fits = est.devices.every((d) => d.fits !== false);
    const anyCapacity = est.devices.some((d) => d.capacity);
    const summary = $("summary");
    summary.replaceChildren(
      el("strong", { text: est.model.name }), " — ",
      el("span", { id: "total", text: `${gib(est.total_bytes)} (${gb(est.total_bytes)})` }),
      est.devices.length > 1 ? ` in all, ${gib(peak)} on the fullest device` : "",
      anyCapacity ? " — " : "",
      anyCapacity ? el("span", { id: "verdict", class: fits ? "fits" : "nofit", text: fits ? "fits" : "does not fit" }) : "");
    if (est.decode) summary.append(el("div", { class: "hint", text: `Decode at most ${est.decode.tokens_per_second_bound.toLocaleString("en-US")} tokens/s (${est.decode.formula})` }));
    if (est.engine && est.engine.kv_cache_tokens) summary.append(el("div", { class: "hint", text: `KV pool: ${est.engine.kv_cache_tokens.toLocaleString("en-US")} tokens, ${est.engine.max_concurrency ?? "?"}× concurrency at ${est.engine.max_model_len.toLocaleString("en-US")} tokens` }));

    const warnings = $("warnings");
    warnings.replaceChildren();
    for (const w of est.warnings) {
      warnings.append(el("li", { text: w.message }));
      const key = w.field === "cache_type_k" || w.field === "cache_type_v" || w.field === "kv_cache_dtype" ? "kv" : w.field === "tensor_parallel_size" ? "tp" : w.field;
      const host = key && form.querySelector(`[data-field="${CSS.escape(key)}"]`);
      if (host) host.append(el("p", { class: "field-warning", role: "note", text: "⚠ " + w.message }));
    }

    const devices = $("devices");
    devices.replaceChildren();
    for (const d of est.devices) {
      const box = el("div", { class: "device" });
      const cap = d.capacity ? ` of ${gib(d.capacity.bytes)} (${d.capacity.name})` : "";
      box.append(el("h3", { text: `${d.name}: ${gib(d.total_bytes)}${cap}` }));
      box.append(stackedBar(d));
      const table = el("table", { class: "breakdown" });
      table.append(el("thead", {}, el("tr", {}, el("th", { text: "Term" }), el("th", { class: "num", text: "GiB" }), el("th", { class: "num", text: "GB" }), el("th", { text: "Formula" }))));
      const body = el("tbody");
      d.terms.forEach((t, i) => {
        const explain = el("details", {}, el("summary", { text: "explain" }), el("code", { text: t.formula }), el("p", { text: "Source: " + t.source }));
        body.append(el("tr", { "data-term": t.id }, el("td", {}, el("span", { class: "key s" + (i % 10), "aria-hidden": "true" }), t.label),
          el("td", { class: "num", text: gib(t.bytes) }), el("td", { class: "num", text: gb(t.bytes) }), el("td", {}, explain)));
      });
      body.append(el("tr", { class: "total" }, el("td", { text: "Total" }), el("td", { class: "num", text: gib(d.total_bytes) }), el("td", { class: "num", text: gb(d.total_bytes) }), el("td")));
      table.append(body);
      box.append(el("div", { class: "table-wrap" }, table));
      devices.append(box);
    }
  }

  function stackedBar(d) {
    const W = 640, H = 28;
    const scale = Math.max(d.total_bytes, d.capacity ? d.capacity.bytes : 0) || 1;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H + 18}`, role: "img", "aria-label": `${d.name}: ${gib(d.total_bytes)}${d.capacity ? " of " + gib(d.capacity.bytes) : ""}`, class: "bar" });
    root.append(svg("rect", { x: 0, y: 0, width: W, height: H, class: "free" }));
    let x = 0;
    d.terms.forEach((t, i) => {
      const w = (t.bytes / scale) * W;
      if (w <= 0) return;
      const r = svg("rect", { x: x.toFixed(2), y: 0, width: Math.max(w, 0.5).toFixed(2), height: H, class: "s" + (i % 10) });
      r.append(svg("title", {}, `${t.label}: ${gib(t.bytes)}`));
      root.append(r);
      x += w;
    });
    if (d.capacity) {
      const cx = Math.min(W - 1, (d.capacity.bytes / scale) * W);
      root.append(svg("line", { x1: cx, x2: cx, y1: 0, y2: H, class: "capacity" }));
    }
    root.append(svg("text", { x: 0, y: H + 14 }, `${gib(d.total_bytes)} used${d.capacity ? " of " + gib(d.capacity.bytes) : ""}`));
    return root;
  }

  function renderChart(points, current) {
    const ok = points.filter((p) => p.devices);
    const box = $("chart");
    box.replaceChildren();
    if (ok.length === 0) { box.append(el("p", { class: "hint", text: points[0]?.error || "No points." })); return; }
    const peak = (p) => Math.max(...p.devices.map((d) => d.total_bytes));
    const caps = ok.flatMap((p) => p.devices.map((d) => d.capacity_bytes).filter((c) => c));
    const capacity = caps.length ? Math.min(...caps) : null;
    const W = 640, H = 300, L = 64, R = 16, T = 16, B = 40;
    const xs = ok.map((p) => Math.log2(p.context));
    const x0 = Math.min(...xs), x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
    const yMax = Math.max(...ok.map(peak), capacity || 0) * 1.08;
    const X = (c) => L + ((Math.log2(c) - x0) / (x1 - x0)) * (W - L - R);
    const Y = (b) => T + (1 - b / yMax) * (H - T - B);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "context-chart", "aria-label": "Memory of the fullest GPU versus context length" });
    const step = niceStep(yMax / GiB);
    for (let g = 0; g * step * GiB <= yMax; g++) {
      const y = Y(g * step * GiB);
      root.append(svg("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid-line" }));
      root.append(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, `${+(g * step).toFixed(2)} GiB`));
    }
    root.append(svg("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }));
    root.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }));
    for (const p of ok) root.append(svg("text", { x: X(p.context), y: H - B + 16, "text-anchor": "middle" }, tokens(p.context)));
    root.append(svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, "context length (tokens)"));
    if (capacity) {
      root.append(svg("line", { x1: L, x2: W - R, y1: Y(capacity), y2: Y(capacity), class: "capacity" }));
      root.append(svg("text", { x: W - R, y: Y(capacity) - 6, "text-anchor": "end" }, `GPU capacity ${gib(capacity)}`));
    }
    root.append(svg("polyline", { class: "line", points: ok.map((p) => `${X(p.context).toFixed(1)},${Y(peak(p)).toFixed(1)}`).join(" ") }));
    for (const p of ok) {
      const c = svg("circle", { cx: X(p.context), cy: Y(peak(p)), r: p.context === current ? 5 : 3, class: "dot" });
      c.append(svg("title", {}, `${tokens(p.context)} tokens: ${gib(peak(p))}`));
      root.append(c);
    }
    box.append(root);
  }

  function niceStep(max) {
    const raw = max / 5, p = 10 ** Math.floor(Math.log10(raw || 1));
    return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || p;
  }

  function renderFits(rows, s) {
    const table = el("table", { id: "fits-table" });
    table.append(el("thead", {}, el("tr", {}, el("th", { text: "GPU" }), el("th", { class: "num", text: "Usable memory" }), el("th", { text: "Fits" }),
      el("th", { class: "num", text: "Peak per GPU" }), el("th", { class: "num", text: "Decode bound" }))));
    const body = el("tbody");
    for (const r of rows) {
      const fits = r.error ? el("span", { class: "nofit", text: "error" }) : el("span", { class: r.fits ? "fits" : "nofit", text: r.fits ? "✓ yes" : "✗ no" });
      const link = el("a", { href: urlFor({ ...s, gpu: r.slug }), text: r.name });
      body.append(el("tr", { "data-gpu": r.slug }, el("td", {}, link), el("td", { class: "num", text: r.usable_bytes ? gib(r.usable_bytes) : (r.memory_marketed || "") }),
        el("td", {}, fits), el("td", { class: "num", text: r.peak_bytes ? gib(r.peak_bytes) : (r.error || "") }),
        el("td", { class: "num", text: r.tokens_per_second_bound ? r.tokens_per_second_bound.toLocaleString("en-US") + " tok/s" : "—" })));
    }
    table.append(body);
    $("fits").replaceChildren(table);
  }

  function renderAccuracy(s) {
    const engine = s.mode === "train" ? "training" : (s.engine || "transformers");
    const rows = accuracy.filter((r) => r.engine === engine && r.group === "main");
    const box = $("accuracy");
    if (rows.length === 0) {
      box.replaceChildren(el("p", { class: "hint", text: `The ${engine} engine is modelled from its source but not yet held to measurements (docs/accuracy.md).` }));
      return;
    }
    const table = el("table", { id: "accuracy-table" });
    table.append(el("thead", {}, el("tr", {}, el("th", { text: "Term" }), el("th", { class: "num", text: "Cases" }), el("th", { class: "num", text: "Exact" }),
      el("th", { class: "num", text: "Median error" }), el("th", { class: "num", text: "p90 error" }))));
    const body = el("tbody");
    for (const r of rows) body.append(el("tr", {}, el("td", { text: r.term }), el("td", { class: "num", text: r.cases }), el("td", { class: "num", text: r.exact }),
      el("td", { class: "num", text: r.median_abs_error }), el("td", { class: "num", text: r.p90_abs_error })));
    table.append(body);
    box.replaceChildren(el("p", { class: "hint", text: `${engine}: estimates against published real runs (llmem validate).` }), table);
  }

  // ---- uploads: only the header leaves the browser ----
  async function upload(file) {
    $("status").className = "status";
    $("status").textContent = `Reading the header of ${file.name}…`;
    let end;
    const name = file.name.toLowerCase();
    if (name.endsWith(".safetensors")) {
      const head = new DataView(await file.slice(0, 8).arrayBuffer());
      if (head.byteLength < 8) return fail(`${file.name} is shorter than a safetensors header.`);
      end = 8 + Number(head.getBigUint64(0, true));
    } else if (name.endsWith(".gguf")) {
      end = Math.min(file.size, MAX_HEADER);
    } else if (name.endsWith(".json")) {
      end = file.size;
    } else {
      return fail(`${file.name}: drop a config.json, a .safetensors or a .gguf file.`);
    }
    if (end > MAX_HEADER) return fail(`The header of ${file.name} is ${gib(end)}, more than the 64 MiB the page sends; use the CLI on the file (llmem infer ${file.name}).`);
    const r = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}&size=${file.size}`, { method: "POST", body: file.slice(0, end) });
    const j = await r.json();
    if (!r.ok) return fail(j.error);
    form.elements.model.value = j.model;
    update();
  }

  const drop = $("drop");
  drop.addEventListener("click", () => $("file").click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); } });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]); });
  $("file").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });

  $("copy").addEventListener("click", () => copy($("cli").textContent, $("copy")));
  $("link").addEventListener("click", () => copy(location.href, $("link")));
  async function copy(text, button) {
    try { await navigator.clipboard.writeText(text); button.dataset.copied = "1"; } catch { /* the command stays visible below */ }
  }

  const onEdit = (e) => { if (e.target.id !== "file") schedule(); }; // a chosen file uploads first, then estimates
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  form.addEventListener("submit", (e) => { e.preventDefault(); update(); });

  // ---- start: catalog, GPUs and accuracy, then the state in the URL (or the default estimate) ----
  (async () => {
    const [models, gpus, acc] = await Promise.all(["/api/models", "/api/gpus", "/api/accuracy"].map((u) => fetch(u).then((r) => r.json())));
    accuracy = acc;
    $("models").replaceChildren(...models.flatMap((m) => [el("option", { value: m.id }), ...m.aliases.slice(0, 1).map((a) => el("option", { value: a }))]));
    const gpuSelect = form.elements.gpu;
    for (const g of gpus) gpuSelect.append(el("option", { value: g.slug, text: `${g.name} (${g.memory_marketed})` }));
    writeState(stateFromUrl());
    update();
  })();
})();
