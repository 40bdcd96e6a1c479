(async function () {
  'use strict';
  // apmdm trace inspector. Builds every view with createElement and textContent only.
  const $ = (id) => document.getElementById(id);
  const MASK = -1;
  const NONE = 0, UNMASKED = 1, REMASKED = 2, INSERTED = 3;
  const OP_NAMES = ['', 'unmasked', 'remasked', 'inserted'];
  const OP_COLOURS = ['', '#2ea043', '#f08c1e', '#326edc'];
  const MASK_COLOUR = '#464646', DELETED_COLOUR = '#d72828', EMPTY_COLOUR = '#ffffff';
  const MAX_DOM_CELLS = 1000, MAX_TEXT = 24, MAX_CHANGES = 60;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  let P;
  try {
    const b64 = $('payload').textContent.trim();
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    P = JSON.parse(await new Response(stream).text());
  } catch (err) {
    $('status').textContent = 'cannot read the embedded trace: ' + err;
    $('status').className = 'err';
    return;
  }

  const meta = P.meta, tokens = P.tokens, kinds = P.kinds || [], schema = P.schema || {};
  const N = P.steps.length, EVERY = P.every;
  const tokenColours = new Map();

  // --- canvases: keyframes + replay of the recorded events ------------------------------------
  function applyStep(before, s) {
    const un = s[0], wr = s[1], rem = new Set(s[2]), ins = new Set(s[3]), del = new Set(s[4]);
    const written = new Map();
    for (let j = 0; j < un.length; j++) written.set(un[j], wr[j]);
    const after = [], marks = [], gaps = [];
    for (let i = 0; i < before.length; i++) {
      if (del.has(i)) { gaps.push(after.length); continue; }
      if (written.has(i)) { after.push(written.get(i)); marks.push(UNMASKED); }
      else if (rem.has(i)) { after.push(MASK); marks.push(REMASKED); }
      else { after.push(before[i]); marks.push(NONE); }
      if (ins.has(i)) { after.push(MASK); marks.push(INSERTED); }
    }
    return { canvas: after, marks: marks, gaps: gaps };
  }
  const cache = new Map();
  function row(k) {  // {canvas, marks, gaps} of canvas k (0 = initial)
    if (cache.has(k)) return cache.get(k);
    const base = Math.floor(k / EVERY) * EVERY;
    let r = cache.get(base);
    if (!r) {
      const c = P.keys[base / EVERY];
      r = { canvas: c, marks: new Array(c.length).fill(NONE), gaps: [] };
      if (base > 0) {  // marks of the keyframe's own step, from its events alone
        const s = P.steps[base - 1];
        const before = new Array(c.length - s[3].length + s[4].length).fill(MASK);
        const m = applyStep(before, s);
        r.marks = m.marks; r.gaps = m.gaps;
      }
      cache.set(base, r);
    }
    for (let j = base + 1; j <= k; j++) {
      const next = cache.get(j) || applyStep(r.canvas, P.steps[j - 1]);
      cache.set(j, next);
      r = next;
    }
    if (cache.size > 4000) {
      for (const key of cache.keys()) {
        if (key % EVERY !== 0 && Math.abs(key - k) > 600) cache.delete(key);
        if (cache.size < 2000) break;
      }
    }
    return r;
  }

  function text(id) { return id === MASK ? '_' : tokens[id][0]; }
  function short(t) { return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT - 1) + '…' : t; }
  function hslToRgba(h, sat, l) {  // packed little-endian RGBA for ImageData
    const a = sat * Math.min(l, 1 - l);
    const f = (n) => { const k = (n + h / 30) % 12; return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))); };
    return (255 << 24 | f(4) << 16 | f(8) << 8 | f(0)) >>> 0;
  }
  function hexToRgba(hex) {
    const v = parseInt(hex.slice(1), 16);
    return (255 << 24 | (v & 255) << 16 | (v >> 8 & 255) << 8 | v >> 16) >>> 0;
  }
  const OP_RGBA = OP_COLOURS.map((c) => c ? hexToRgba(c) : 0);
  const MASK_RGBA = hexToRgba(MASK_COLOUR), DELETED_RGBA = hexToRgba(DELETED_COLOUR);
  const EMPTY_RGBA = hexToRgba(EMPTY_COLOUR);
  function colour(id) {  // a pale tint per token, the same in every page
    if (id === MASK) return MASK_RGBA;
    let c = tokenColours.get(id);
    if (c === undefined) {
      let h = 0;
      const t = tokens[id][0];
      for (let i = 0; i < t.length; i++) h = (h * 31 + t.charCodeAt(i)) >>> 0;
      c = hslToRgba(h % 360, 0.35, (80 + (h >>> 9) % 10) / 100);
      tokenColours.set(id, c);
    }
    return c;
  }

  // --- summary ---------------------------------------------------------------------------------
  function summary() {
    const c = meta.counters, lim = meta.limits, t = el('table');
    const add = (k, v) => { const tr = el('tr'); tr.append(el('td', k), el('td', v)); t.append(tr); };
    add('construction', meta.construction + ' (' + meta.model + ')');
    add('parameters', JSON.stringify(meta.parameters));
    add('stop reason', meta.stop + (meta.cycle_start !== null ? ' (cycle from step ' + meta.cycle_start + ')' : ''));
    add('steps', c.steps + ' (bound: max_steps ' + lim.max_steps + ')');
    add('context', 'initial ' + c.initial_context + ', max ' + c.max_context + ', final ' +
        c.final_context + ' (bound: max_context ' + lim.max_context + ')');
    add('operations', 'unmasks ' + c.unmasks + ', remasks ' + c.remasks + ', inserts ' +
        c.inserts + ', deletes ' + c.deletes);
    if (schema.layout) add('layout', schema.layout);
    add('decoded state', P.note || (P.states ? 'yes' : 'none'));
    $('summary').append(t);
  }

  // --- the selected token's named fields ----------------------------------------------------
  let step = 0, selPos = null;
  function fieldsOf(id, pos) {
    const box = $('fields');
    box.textContent = '';
    const r = row(step);
    box.append(el('div', 'step ' + step + ', position ' + pos +
      (r.marks[pos] ? ' (' + OP_NAMES[r.marks[pos]] + ' this step)' : '')));
    if (schema.roles && schema.roles.period) {
      const q = pos % schema.roles.period;
      box.append(el('div', 'role: ' + schema.roles.names[q] + ' — ' + schema.roles.meanings[q]));
    }
    if (id === MASK) { box.append(el('div', 'MASK')); return; }
    const tok = tokens[id];
    box.append(el('div', 'token: ' + tok[0], 'mono'));
    const kind = tok[1] >= 0 ? kinds[tok[1]] : null;
    if (!kind) { box.append(el('div', 'no schema for this token', 'note')); return; }
    box.append(el('div', 'kind: ' + kind.name));
    const values = Array.isArray(tok[2]) ? tok[2] : [tok[2]];
    const t = el('table', null, 't');
    const head = el('tr');
    head.append(el('th', 'field'), el('th', 'value'), el('th', 'meaning'));
    t.append(head);
    const fields = kind.fields || [];
    for (let j = 0; j < values.length; j++) {
      const f = fields[j] || ['#' + j, ''];
      const tr = el('tr');
      tr.append(el('td', f[0], 'k'), el('td', JSON.stringify(values[j])), el('td', f[1], 'k'));
      t.append(tr);
    }
    box.append(t);
    if (kind.instruction && schema.listing) {
      const at = fields.findIndex((f) => f[0] === kind.instruction);
      const pc = values[at];
      const ins = Number.isInteger(pc) && pc >= 0 && pc < schema.listing.length ? schema.listing[pc] : '(end of program)';
      box.append(el('div', 'next instruction (' + kind.instruction + ' ' + pc + '): ' + ins, 'mono'));
    }
  }

  // --- space-time canvas ----------------------------------------------------------------------
  const st = $('st'), ctx = st.getContext('2d');
  let view = { k0: 0, k1: 0, cw: 1, ch: 1 };
  function drawSpacetime() {
    const avail = Math.max(200, $('stwrap').clientWidth - 4);
    const rowsShown = Math.min(N + 1, 400);
    let k0 = Math.max(0, step - Math.floor(rowsShown / 2));
    const k1 = Math.min(N, k0 + rowsShown - 1);
    k0 = Math.max(0, k1 - rowsShown + 1);
    let width = 1;
    for (let k = k0; k <= k1; k++) width = Math.max(width, row(k).canvas.length);
    const cw = Math.max(1, Math.min(16, Math.floor(avail / width)));
    const ch = Math.max(2, Math.min(12, cw, Math.floor(480 / (k1 - k0 + 1))));
    st.width = width * cw; st.height = (k1 - k0 + 1) * ch;
    const img = ctx.createImageData(st.width, st.height);
    const px = new Uint32Array(img.data.buffer);
    px.fill(EMPTY_RGBA);
    const W = st.width, half = Math.floor(ch / 2);
    for (let k = k0; k <= k1; k++) {
      const r = row(k), y0 = (k - k0) * ch;
      const doomed = k < N ? new Set(P.steps[k][4]) : null;  // masks the next step deletes
      for (let i = 0; i < r.canvas.length; i++) {
        const c = r.marks[i] ? OP_RGBA[r.marks[i]] : colour(r.canvas[i]);
        const low = doomed && doomed.has(i) ? DELETED_RGBA : c;  // lower half red
        for (let y = 0; y < ch; y++) {
          const base = (y0 + y) * W + i * cw;
          px.fill(y < half ? c : low, base, base + cw);
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    ctx.strokeStyle = '#000'; ctx.lineWidth = 2;
    ctx.strokeRect(1, (step - k0) * ch + 1, st.width - 2, ch - 1);
    if (selPos !== null) { ctx.strokeStyle = '#c00'; ctx.strokeRect(selPos * cw, (step - k0) * ch, cw, ch); }
    view = { k0: k0, k1: k1, cw: cw, ch: ch };
    const wrap = $('stwrap'), r = row(step);  // keep the current row and its activity in view
    const y = (step - k0) * ch;
    if (y < wrap.scrollTop || y + ch > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = Math.max(0, y - wrap.clientHeight / 2);
    let focus = selPos;
    if (focus === null) { const j = r.marks.findIndex((m) => m !== NONE); focus = j >= 0 ? j : (r.gaps.length ? r.gaps[0] : null); }
    if (focus !== null) {
      const x = focus * cw;
      if (x < wrap.scrollLeft || x + cw > wrap.scrollLeft + wrap.clientWidth) wrap.scrollLeft = Math.max(0, x - wrap.clientWidth / 2);
    }
  }
  function hit(ev) {
    const b = st.getBoundingClientRect();
    const k = view.k0 + Math.floor((ev.clientY - b.top) / view.ch);
    const i = Math.floor((ev.clientX - b.left) / view.cw);
    if (k < view.k0 || k > view.k1) return null;
    const r = row(k);
    return i >= 0 && i < r.canvas.length ? { k: k, i: i, id: r.canvas[i], mark: r.marks[i] } : null;
  }
  st.addEventListener('mousemove', (ev) => {
    const h = hit(ev), tip = $('tip');
    if (!h) { tip.hidden = true; return; }
    let s = 'step ' + h.k + ', position ' + h.i + (h.mark ? ' (' + OP_NAMES[h.mark] + ')' : '') + '\n' + text(h.id);
    if (h.id !== MASK && tokens[h.id][1] >= 0) {
      const kind = kinds[tokens[h.id][1]], v = tokens[h.id][2];
      const vals = Array.isArray(v) ? v : [v];
      s += '\n' + kind.name + ': ' + vals.map((x, j) => ((kind.fields || [])[j] || ['#' + j])[0] + '=' + JSON.stringify(x)).join(' ');
    }
    tip.textContent = s;
    tip.style.left = (ev.clientX + 14) + 'px'; tip.style.top = (ev.clientY + 14) + 'px';
    tip.hidden = false;
  });
  st.addEventListener('mouseleave', () => { $('tip').hidden = true; });
  st.addEventListener('click', (ev) => { const h = hit(ev); if (h) { selPos = h.i; go(h.k); } });

  // --- the canvas at this step as cells ---------------------------------------------------------
  function drawCells() {
    const box = $('cells'), r = row(step);
    box.textContent = '';
    const gaps = new Set(r.gaps);
    const n = Math.min(r.canvas.length, MAX_DOM_CELLS);
    for (let i = 0; i <= n; i++) {
      if (gaps.has(i)) box.append(el('span', '~', 'gap deleted'));
      if (i === n) break;
      const id = r.canvas[i];
      const cls = r.marks[i] ? OP_NAMES[r.marks[i]] : (id === MASK ? 'mask' : 'token');
      const s = el('span', short(text(id)), cls + (i === selPos ? ' sel' : ''));
      s.dataset.pos = String(i);
      s.title = 'position ' + i;
      box.append(s);
    }
    if (r.canvas.length > n) box.append(el('span', '… positions ' + n + '..' + (r.canvas.length - 1) + ' in the space-time view', 'note'));
  }
  $('cells').addEventListener('click', (ev) => {
    const p = ev.target && ev.target.dataset ? ev.target.dataset.pos : undefined;
    if (p !== undefined) { selPos = Number(p); render(); }
  });

  // --- decoded state and its diff against the previous step -------------------------------------
  function show(v) { return v === undefined ? '(none)' : v === null ? '_' : (typeof v === 'object' ? JSON.stringify(v) : String(v)); }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function cell(v, old, hasOld) {
    const td = el('td', show(v));
    if (hasOld && !same(v, old)) { td.className = 'chg'; td.title = 'was ' + show(old); }
    return td;
  }
  let headAt = null;  // a state's scalar "head" indexes its list "tape" (Turing machines)
  function renderValue(key, v, old, box, changes) {
    const hasOld = old !== undefined;
    if (Array.isArray(v) && v.length && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      const cols = [];
      for (const r of v) for (const c of Object.keys(r)) if (!cols.includes(c)) cols.push(c);
      const t = el('table', null, 't'), head = el('tr');
      for (const c of cols) head.append(el('th', c));
      t.append(head);
      v.forEach((r, j) => {
        const o = hasOld && Array.isArray(old) ? old[j] : undefined, tr = el('tr');
        for (const c of cols) {
          const ov = o && typeof o === 'object' ? o[c] : undefined;
          tr.append(cell(r[c], ov, ov !== undefined || (hasOld && o === undefined)));
          if (o && ov !== undefined && !same(r[c], ov)) changes.push(key + '[' + j + '].' + c + ': ' + show(ov) + ' → ' + show(r[c]));
        }
        if ('won' in r && r.won === 0) tr.className = 'won0';
        t.append(tr);
      });
      box.append(el('h2', key), t);
    } else if (Array.isArray(v) && v.length && v.every(Array.isArray)) {
      const t = el('table', null, 't');
      v.forEach((r, a) => {
        const tr = el('tr');
        r.forEach((x, b) => {
          const o = hasOld && old[a] ? old[a][b] : undefined;
          tr.append(cell(x, o, hasOld));
          if (hasOld && !same(x, o)) changes.push(key + '[' + a + '][' + b + ']: ' + show(o) + ' → ' + show(x));
        });
        t.append(tr);
      });
      box.append(el('h2', key), t);
    } else if (Array.isArray(v)) {
      const t = el('table', null, 't'), head = el('tr'), body = el('tr');
      v.forEach((x, j) => {
        head.append(el('th', j));
        const o = hasOld && Array.isArray(old) ? old[j] : undefined;
        const td = cell(x, o, hasOld);
        if (key === 'tape' && j === headAt) { td.classList.add('head'); td.title = 'head'; }
        body.append(td);
        if (hasOld && !same(x, o)) changes.push(key + '[' + j + ']: ' + show(o) + ' → ' + show(x));
      });
      t.append(head, body);
      box.append(el('h2', key + ' (' + v.length + ')'), t);
    } else {
      return false;
    }
    return true;
  }
  function drawState() {
    const box = $('state'), chg = $('changes');
    box.textContent = ''; chg.textContent = '';
    if (!P.states) { box.append(el('div', P.note || 'no decoded state in this page', 'note')); return; }
    const s = P.states[step], prev = step > 0 ? P.states[step - 1] : undefined;
    if (s && s.error) { box.append(el('div', 'cannot decode this canvas: ' + s.error, 'err')); return; }
    const changes = [];
    headAt = Number.isInteger(s.head) ? s.head : null;
    const scalars = el('table', null, 't');
    for (const key of Object.keys(s)) {
      const old = prev && !prev.error ? prev[key] : undefined;
      if (!renderValue(key, s[key], old, box, changes)) {
        const tr = el('tr');
        tr.append(el('td', key, 'k'), cell(s[key], old, old !== undefined));
        if (old !== undefined && !same(s[key], old)) changes.push(key + ': ' + show(old) + ' → ' + show(s[key]));
        scalars.append(tr);
      }
    }
    box.prepend(scalars);
    chg.append(el('div', step === 0 ? 'initial state' : (changes.length ? 'changed since step ' + (step - 1) + ':' : 'no change since step ' + (step - 1))));
    for (const c of changes.slice(0, MAX_CHANGES)) chg.append(el('div', '  ' + c));
    if (changes.length > MAX_CHANGES) chg.append(el('div', '  … ' + (changes.length - MAX_CHANGES) + ' more'));
  }

  // --- navigation ---------------------------------------------------------------------------------
  function render() {
    $('slider').value = String(step);
    $('stepinfo').textContent = 'step ' + step + ' / ' + N;
    drawSpacetime();
    drawCells();
    drawState();
    const r = row(step);
    if (selPos !== null && selPos < r.canvas.length) fieldsOf(r.canvas[selPos], selPos);
    document.body.dataset.step = String(step);
  }
  function go(k) { step = Math.max(0, Math.min(N, k)); render(); }
  $('slider').max = String(N);
  $('slider').addEventListener('input', () => go(Number($('slider').value)));
  $('first').addEventListener('click', () => go(0));
  $('prev').addEventListener('click', () => go(step - 1));
  $('next').addEventListener('click', () => go(step + 1));
  $('last').addEventListener('click', () => go(N));
  document.addEventListener('keydown', (ev) => {
    if (ev.target === $('slider')) return;  // the slider handles its own keys
    const to = { ArrowLeft: step - 1, ArrowRight: step + 1, Home: 0, End: N }[ev.key];
    if (to !== undefined) { ev.preventDefault(); go(to); }
  });
  summary();
  go(0);
  $('status').textContent = N + ' steps loaded';
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = '1';
})();
