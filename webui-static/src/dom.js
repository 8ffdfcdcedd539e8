// Small DOM helpers: element creation, tables, formatting.
import { t } from './i18n.js';

// h('div', {class: 'x', onclick: f}, child, 'text', [children]) -> Element
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A table with a header row; rows are arrays of cells (strings or nodes).
export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.length
      ? rows.map((r) => h('tr', r.attrs || {}, (r.cells || r).map((c) => h('td', {}, c))))
      : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, t('common.none')))));
}

export function formatTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatBytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

export function badge(state) {
  return h('span', { class: 'badge state-' + String(state).toLowerCase() }, t('state.' + state));
}

// A labelled form field; `error` is the element that shows the API's
// message for it (field-error-<name>).
export function field(name, label, input, hint) {
  input.setAttribute('name', name);
  input.id = input.id || 'f-' + name;
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: input.id }, label),
    input,
    hint ? h('small', { class: 'hint' }, hint) : null,
    h('div', { class: 'field-error', id: 'field-error-' + name, role: 'alert' }));
}

// Shows an API error under its field when it names one, else in `fallback`.
export function showError(form, err, fallback, aliases = {}) {
  for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
  for (const e of form.querySelectorAll('.invalid')) e.classList.remove('invalid');
  const slotOf = (name) => name && form.querySelector('#field-error-' + name);
  const name = [err.field, matchAlias(err.message, aliases)].find(slotOf);
  const slot = slotOf(name);
  if (slot) {
    slot.textContent = err.message;
    slot.closest('.field').classList.add('invalid');
    const input = form.querySelector(`[name="${name}"]`);
    if (input) input.focus();
  } else {
    fallback.textContent = err.message;
  }
}

function matchAlias(message, aliases) {
  for (const [pattern, name] of Object.entries(aliases)) {
    if (new RegExp(pattern).test(message)) return name;
  }
  return null;
}

// A progress bar of a job's finished share: succeeded green, failed red.
export function jobBar(counts, total) {
  const n = total || Object.values(counts || {}).reduce((a, b) => a + b, 0) || 1;
  const part = (state, cls) => h('span', {
    class: 'bar-part ' + cls,
    style: `width:${(100 * ((counts && counts[state]) || 0)) / n}%`,
  });
  return h('div', { class: 'bar', role: 'progressbar' },
    part('SUCCEEDED', 'ok'), part('FAILED', 'bad'), part('CANCELED', 'gray'),
    part('IN_PROGRESS', 'busy'), part('NOTIFIED', 'notified'));
}

// A pager: calls load(offset) with the new offset.
export function pager(offset, count, more, load) {
  return h('div', { class: 'pager' },
    h('button', { class: 'prev', disabled: offset === 0, onclick: () => load(Math.max(0, offset - count)) }, t('common.prev')),
    h('span', { class: 'range' }, count ? t('common.range', { from: offset + 1, to: offset + count }) : ''),
    h('button', { class: 'next', disabled: !more, onclick: () => load(offset + count) }, t('common.next')));
}
