// llmroof web page: the inputs, the URL hash that encodes them, and the tables drawn from the
// core's JSON (llmroof.js, the core compiled to WebAssembly). Plain JavaScript, no build step.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  // What each request field is called on this page (errors name fields as {field}).
  const labels = {
    model: 'Model', quant: 'Quant', device: 'Devices', batch: 'Batch', context: 'Context',
    prompt: 'Prompt', request: 'the request',
  };
  const inputOf = { model: 'model', quant: 'quant', device: 'device-search', batch: 'batch',
                    context: 'context', prompt: 'prompt' };
  const defaults = { model: 'llama-3.1-8b', quant: 'q4_k_m', device: ['rtx-4090', 'm4-pro'],
                     batch: 1, context: 0, prompt: 512 };

  let core = null;
  const state = { devices: [], row: '', file: null };

  // --- the core -----------------------------------------------------------------------------

  function call(name, types, args) {
    return JSON.parse(core.ccall(name, 'string', types, args));
  }

  function setModelFile(name, bytes, size) {
    const ptr = core._malloc(Math.max(bytes.length, 1));
    core.HEAPU8.set(bytes, ptr);
    core.ccall('llmroof_set_model_file', null, ['string', 'number', 'number', 'number'],
               [name, ptr, bytes.length, size]);
    core._free(ptr);
  }

  // --- numbers as the CLI's table prints them (src/core/report/render.cpp) -------------------

  function tokens(v) {
    if (v === null || v === undefined) return '-';
    const a = Math.abs(v);
    return v.toFixed(a < 10 ? 2 : a < 1000 ? 1 : 0);
  }
  const gib = (bytes) => (bytes === null || bytes === undefined ? '-' : (bytes / 2 ** 30).toFixed(2));
  const three = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  function seconds(s) {
    if (s === null || s === undefined) return '-';
    const a = Math.abs(s);
    if (a >= 1) return three(s) + ' s';
    if (a >= 1e-3) return three(s * 1e3) + ' ms';
    return three(s * 1e6) + ' us';
  }
  const rate = (bytesPerS) => (bytesPerS / 1e9).toFixed(1) + ' GB/s';
  const flops = (f) => (f / 1e12).toFixed(1) + ' TFLOP/s';

  // {field} placeholders of the core's messages, named as this page's inputs.
  const render = (text) => text.replace(/\{([a-z0-9_]+)\}/g, (_, id) => labels[id] || id);

  // --- inputs and the URL hash ---------------------------------------------------------------

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const get = (key) => (p.has(key) ? p.get(key) : null);
    $('model').value = get('model') ?? defaults.model;
    $('quant').value = get('quant') ?? (p.has('model') ? '' : defaults.quant);
    const devices = get('device');
    state.devices = devices === null ? defaults.device.slice() : devices.split(',').filter(Boolean);
    for (const key of ['batch', 'context', 'prompt']) $(key).value = get(key) ?? defaults[key];
    state.row = get('row') ?? '';
  }

  // The inputs as "#model=...&device=a,b&...": commas left as they are, for a readable link.
  function hashOf() {
    const parts = [['model', $('model').value.trim()]];
    if ($('quant').value.trim()) parts.push(['quant', $('quant').value.trim()]);
    parts.push(['device', state.devices.join(',')]);
    for (const key of ['batch', 'context', 'prompt']) parts.push([key, $(key).value]);
    if (state.row) parts.push(['row', state.row]);
    const encode = (text) => encodeURIComponent(text).replace(/%2C/g, ',');
    return '#' + parts.map(([k, v]) => k + '=' + encode(v)).join('&');
  }

  function writeHash() {
    const hash = hashOf();
    if (location.hash !== hash) {
      try {
        history.replaceState(null, '', hash);
      } catch (e) {
        location.hash = hash;
      }
    }
    $('share').href = location.href;
    $('share').textContent = state.file ? 'this page with these inputs (without the dropped file)'
                                        : 'this page with these inputs';
  }

  function request() {
    const r = { model: $('model').value.trim(), device: state.devices };
    if ($('quant').value.trim()) r.quant = $('quant').value.trim();
    for (const key of ['batch', 'context', 'prompt']) {
      const text = $(key).value.trim();
      // A number the core checks (range, whole); anything else goes as text, to be refused.
      r[key] = text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    }
    return r;
  }

  // --- output --------------------------------------------------------------------------------

  function cell(tr, text, cls, value) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    if (value !== undefined) td.dataset.value = value === null ? '' : String(value);
    tr.appendChild(td);
    return td;
  }

  const rowId = (r) => (r.device ? r.device.id : r.group || r.label || '');

  function showError(error) {
    const box = $('error');
    box.hidden = false;
    box.textContent = '';
    box.append(render(error.message));
    for (const input of document.querySelectorAll('.bad')) input.classList.remove('bad');
    if (error.field && inputOf[error.field]) $(inputOf[error.field]).classList.add('bad');
    for (const s of error.suggestions || []) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'suggestion';
      b.textContent = s;
      b.addEventListener('click', () => useSuggestion(error.field, s));
      box.append(' ', b);
    }
    box.dataset.field = error.field || '';
    $('estimates').hidden = true;
    $('explain').hidden = true;
    $('notes').textContent = '';
  }

  function useSuggestion(field, value) {
    if (field === 'device') {
      const bad = new Set(state.devices.filter((d) => !call('llmroof_devices', ['string'], [d]).results.length));
      state.devices = state.devices.filter((d) => !bad.has(d));
      state.devices.push(value);
      drawChips();
    } else if (inputOf[field]) {
      $(inputOf[field]).value = value;
    }
    update();
  }

  function drawTable(rows) {
    const body = $('estimates').querySelector('tbody');
    body.textContent = '';
    for (const r of rows) {
      const tr = document.createElement('tr');
      tr.dataset.id = rowId(r);
      cell(tr, rowId(r), 'id');
      cell(tr, gib(r.weights_bytes), 'num weights', r.weights_bytes);
      cell(tr, r.bound || (r.split ? r.split + ' split' : '-'), 'bound');
      cell(tr, tokens(r.tokens_per_s), 'num estimate', r.tokens_per_s);
      cell(tr, tokens(r.tokens_per_s_low) + ' to ' + tokens(r.tokens_per_s_high), 'num band');
      cell(tr, r.fits ? 'yes' : 'no', r.fits ? 'fits yes' : 'fits no', r.fits);
      const margin = r.memory_margin_bytes ?? (r.memory_available_bytes - r.memory_required_bytes);
      cell(tr, gib(margin), 'num margin', margin);
      cell(tr, tokens(r.prefill_tokens_per_s), 'num prefill', r.prefill_tokens_per_s);
      cell(tr, r.time_to_first_token_seconds === null || r.time_to_first_token_seconds === undefined
        ? '-' : three(r.time_to_first_token_seconds), 'num ttft', r.time_to_first_token_seconds);
      tr.tabIndex = 0;
      tr.addEventListener('click', () => { state.row = rowId(r); explain(rows); writeHash(); });
      body.appendChild(tr);
    }
    $('estimates').hidden = rows.length === 0;
  }

  // The explain view: the row's own fields, in the order the roofline reasons.
  function explain(rows) {
    const r = rows.find((x) => rowId(x) === state.row) || rows[0];
    for (const tr of document.querySelectorAll('#estimates tbody tr')) {
      tr.classList.toggle('selected', r !== undefined && tr.dataset.id === rowId(r));
    }
    if (!r) {
      $('explain').hidden = true;
      return;
    }
    $('explain-device').textContent = rowId(r);
    const list = $('explain-list');
    list.textContent = '';
    const item = (term, text, id) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = text;
      if (id) dd.id = 'explain-' + id;
      list.append(dt, dd);
    };
    const has = (k) => r[k] !== null && r[k] !== undefined;
    if (has('weights_read_bytes')) {
      const bytes = r.weights_read_bytes + (r.kv_read_bytes || 0);
      item('Bytes read per step', `${gib(r.weights_read_bytes)} GiB of weights + ` +
           `${gib(r.kv_read_bytes || 0)} GiB of KV cache = ${gib(bytes)} GiB`, 'bytes');
    }
    if (has('mem_bw_bytes_per_s')) {
      item('Memory bandwidth', rate(r.mem_bw_bytes_per_s), 'bandwidth');
    }
    if (has('memory_seconds')) {
      item('Memory time per step', `${seconds(r.memory_seconds)}: memory roof ` +
           `${tokens(r.memory_bound_tokens_per_s)} tok/s`, 'memory-time');
    }
    if (has('flops_per_step')) {
      item('FLOPs per step', `${(r.flops_per_step / 1e9).toFixed(1)} GFLOP at ` +
           `${flops(r.peak_flops_per_s)} (${r.compute_precision})`, 'flops');
    }
    if (has('compute_seconds')) {
      item('Compute time per step', `${seconds(r.compute_seconds)}: compute roof ` +
           `${tokens(r.compute_bound_tokens_per_s)} tok/s`, 'compute-time');
    }
    if (has('bound')) {
      item('Bound', `${r.bound}: the slower of the two sets the ideal speed, ` +
           `${tokens(r.ideal_tokens_per_s)} tok/s` +
           (has('critical_batch') ? `; compute takes over from batch ${r.critical_batch.toFixed(1)}` : ''),
           'bound');
    }
    if (has('step_seconds')) {
      item('Step time', `${seconds(r.step_seconds)} (devices ${seconds(r.device_seconds)}, ` +
           `link ${seconds(r.link_seconds || 0)})`, 'step');
    }
    if (has('ideal_tokens_per_s') && r.ideal_tokens_per_s > 0) {
      item('Realistic estimate', `${tokens(r.tokens_per_s)} tok/s, ` +
           `${(100 * r.tokens_per_s / r.ideal_tokens_per_s).toFixed(0)}% of ideal` +
           (has('efficiency_class') ? ` (engine efficiency of class ${r.efficiency_class})` : '') +
           `; band ${tokens(r.tokens_per_s_low)} to ${tokens(r.tokens_per_s_high)} tok/s`, 'estimate');
    }
    if (has('memory_required_bytes')) {
      item('Memory', `${gib(r.memory_required_bytes)} GiB needed of ` +
           `${gib(r.memory_available_bytes)} GiB: ${r.fits ? 'fits' : 'does not fit'}`, 'memory');
    }
    $('explain').hidden = false;
  }

  // The core's own SVG charts (the same as `llmroof chart compare|roofline`).
  function drawCharts() {
    const charts = call('llmroof_charts', ['string', 'number'],
                        [JSON.stringify(request()), state.file ? 1 : 0]);
    const section = $('charts');
    section.hidden = Boolean(charts.error);
    for (const [id, svg] of [['chart-compare', charts.compare], ['chart-roofline', charts.roofline]]) {
      const figure = $(id);
      figure.hidden = !svg;
      figure.innerHTML = svg || '';
    }
  }

  function update() {
    writeHash();
    $('error').hidden = true;
    for (const input of document.querySelectorAll('.bad')) input.classList.remove('bad');
    const doc = call('llmroof_estimate', ['string', 'number'],
                     [JSON.stringify(request()), state.file ? 1 : 0]);
    if (doc.error) {
      showError(doc.error);
      return;
    }
    drawTable(doc.results);
    explain(doc.results);
    drawCharts();
    const notes = $('notes');
    notes.textContent = '';
    for (const [kind, list] of [['warning', doc.meta.warnings], ['note', doc.meta.notes]]) {
      for (const text of list) {
        const li = document.createElement('li');
        li.className = kind;
        li.textContent = `${kind}: ${render(text)}`;
        notes.appendChild(li);
      }
    }
  }

  // --- devices -------------------------------------------------------------------------------

  function drawChips() {
    const box = $('chosen');
    box.textContent = '';
    state.devices.forEach((id, i) => {
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.textContent = id + ' ';
      const x = document.createElement('button');
      x.type = 'button';
      x.textContent = '\u00d7';
      x.title = 'remove ' + id;
      x.addEventListener('click', () => { state.devices.splice(i, 1); drawChips(); update(); });
      chip.appendChild(x);
      box.appendChild(chip);
    });
  }

  function addDevice(id) {
    if (!state.devices.includes(id)) state.devices.push(id);
    drawChips();
    update();
  }

  function searchDevices() {
    const query = $('device-search').value.trim();
    const list = $('device-results');
    list.textContent = '';
    if (!query) return;
    const doc = call('llmroof_devices', ['string'], [query]);
    const found = doc.results || [];
    if (found.length > 1) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `all ${found.length} matching '${query}'`;
      b.addEventListener('click', () => addDevice(query));
      li.appendChild(b);
      list.appendChild(li);
    }
    for (const d of found.slice(0, 40)) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `${d.id}: ${d.name}, ${gib(d.memory_bytes)} GiB, ${rate(d.mem_bw_bytes_per_s)}`;
      b.addEventListener('click', () => addDevice(d.id));
      li.appendChild(b);
      list.appendChild(li);
    }
  }

  // --- a dropped model file: its header only ------------------------------------------------

  async function useFile(f) {
    const status = $('file-status');
    status.hidden = false;
    status.textContent = `reading ${f.name} ...`;
    // config.json is read whole (it is small); a GGUF from 1 MiB of header, more if needed.
    let bytes = f.name.toLowerCase().endsWith('.gguf') ? Math.min(f.size, 1 << 20) : f.size;
    for (;;) {
      const prefix = new Uint8Array(await f.slice(0, bytes).arrayBuffer());
      setModelFile(f.name, prefix, f.size);
      const doc = call('llmroof_inspect', [], []);
      if (doc.error && doc.error.kind === 'need_bytes' && bytes < f.size) {
        bytes = Math.min(f.size, Math.max(doc.error.bytes, 2 * bytes));
        continue;
      }
      if (doc.error) {
        state.file = null;
        status.textContent = `${f.name}: ${render(doc.error.message)}`;
        return;
      }
      state.file = f.name;
      $('model').value = f.name;
      $('quant').value = '';
      const mib = (n) => (n / 2 ** 20).toFixed(1) + ' MiB';
      status.textContent = `${f.name}: ${doc.architecture || 'model'}, read ${mib(bytes)} of ` +
        `${mib(f.size)} (the header only)`;
      update();
      return;
    }
  }

  // --- start ---------------------------------------------------------------------------------

  function init() {
    $('version').textContent = core.ccall('llmroof_version', 'string', [], []);
    for (const m of call('llmroof_models', ['string'], ['']).results) {
      const o = document.createElement('option');
      o.value = m.id;
      o.label = m.name;
      $('model-list').appendChild(o);
    }
    for (const q of call('llmroof_quants', ['string'], ['llama-3.1-8b']).results) {
      const o = document.createElement('option');
      o.value = q.id;
      o.label = q.description;
      $('quant-list').appendChild(o);
    }
    readHash();
    drawChips();
    $('model').addEventListener('input', () => { state.file = null; $('file-status').hidden = true; });
    for (const id of ['model', 'quant', 'batch', 'context', 'prompt']) {
      $(id).addEventListener('change', update);
    }
    $('device-search').addEventListener('input', searchDevices);
    $('device-search').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && $('device-search').value.trim()) {
        e.preventDefault();
        addDevice($('device-search').value.trim());
      }
    });
    $('inputs').addEventListener('submit', (e) => e.preventDefault());
    $('file').addEventListener('change', () => { if ($('file').files[0]) useFile($('file').files[0]); });
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer.files[0]) useFile(e.dataTransfer.files[0]);
    });
    window.addEventListener('hashchange', () => {
      if (location.hash !== hashOf()) {
        state.file = null;
        readHash();
        drawChips();
        update();
      }
    });
    update();
    document.body.dataset.ready = 'true';
  }

  createLlmroof().then((module) => {
    core = module;
    init();
  });
})();
