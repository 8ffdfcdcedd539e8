// Jobs: the list (filtered by product and state on the broker, paged) with
// live progress bars, and the form that creates a job with every campaign
// option; the API's validation errors appear at their field.
import { h, clear, table, pager, field, showError, badge, jobBar, formatTime } from '../dom.js';
import { t } from '../i18n.js';

const PAGE = 20;
const POLL_MS = 2000;
const JOB_STATES = ['running', 'scheduled', 'paused', 'completed', 'canceled'];
const list = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

export function render({ session, root, navigate }) {
  const state = { product: '', state: '', offset: 0 };
  const listBox = h('div', { id: 'job-list' });
  const load = async (offset = state.offset) => {
    state.offset = offset;
    const fields = { offset, count: PAGE };
    if (state.product) fields.product = state.product;
    if (state.state) fields.state = state.state;
    try {
      const data = await session.request('listJobs', fields);
      clear(listBox,
        table([t('jobs.id'), t('jobs.package'), t('pkg.product'), t('pkg.module'), t('jobs.type'),
          t('jobs.state'), t('jobs.progress'), t('jobs.created')],
        data.jobs.map((j) => {
          const c = j.counts || {};
          const done = (c.SUCCEEDED || 0) + (c.FAILED || 0) + (c.CANCELED || 0);
          return {
            attrs: { 'data-job': j.id },
            cells: [h('a', { href: '#/jobs/' + j.id }, '#' + j.id), j.packageId, j.product, j.module,
              t('jobs.type.' + j.type), badge(j.state),
              h('div', { class: 'job-progress' }, jobBar(c, j.taskCount),
                h('small', { class: 'done-count' }, `${done} / ${j.taskCount}`)),
              formatTime(j.createdAt)],
          };
        }), { id: 'jobs-table' }),
        pager(offset, data.count, data.more, load));
    } catch (err) {
      clear(listBox, h('p', { class: 'error' }, err.message));
    }
  };

  const product = h('input', { id: 'job-product-filter' });
  const stateSel = h('select', { id: 'job-state-filter' }, h('option', { value: '' }, t('common.any')),
    JOB_STATES.map((s) => h('option', { value: s }, t('state.' + s))));
  const presetPackage = new URLSearchParams(location.hash.split('?')[1] || '').get('new');
  root.append(
    h('h2', {}, t('nav.jobs')),
    h('div', { class: 'toolbar' },
      h('label', {}, t('pkg.product'), product),
      h('label', {}, t('jobs.state'), stateSel),
      h('button', { onclick: () => { state.product = product.value.trim(); state.state = stateSel.value; load(0); } }, t('common.apply'))),
    listBox,
    createForm(session, navigate, presetPackage));
  load(0);
  const timer = setInterval(() => { if (!document.hidden) load(); }, POLL_MS);
  return () => clearInterval(timer);
}

function num(form, name) {
  const v = form.elements[name].value.trim();
  return v === '' ? undefined : Number(v);
}

// "10%, 40%, 50%" -> [{percent:10},...]; "5, 45" -> [{count:5},...]
function countOrPercent(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(text.trim());
  if (!m) return { invalid: text };
  return m[2] ? { percent: Number(m[1]) } : { count: Number(m[1]) };
}

function toUnixSeconds(local) {
  return local ? Math.floor(new Date(local).getTime() / 1000) : undefined;
}

// The createJob request of the form's values; only what the user set.
export function jobRequest(form) {
  const e = form.elements;
  const r = { packageId: num(form, 'packageId') };
  if (e.type.value !== 'batch') r.type = e.type.value;
  const devices = list(e.devices.value);
  if (devices.length) r.devices = devices;
  if (e.all.checked) r.all = true;
  const sources = list(e.sourceVersions.value);
  if (sources.length) r.sourceVersions = sources;
  if (e.tags.value.trim()) {
    r.tags = {};
    for (const pair of list(e.tags.value)) {
      const [k, ...v] = pair.split('=');
      r.tags[k] = v.join('=');
    }
  }
  if (num(form, 'percent') !== undefined) r.percent = num(form, 'percent');
  if (e.dynamic.checked) r.dynamic = true;
  if (num(form, 'ratePerMinute') !== undefined) r.ratePerMinute = num(form, 'ratePerMinute');
  if (num(form, 'timeoutSeconds') !== undefined) r.timeoutSeconds = num(form, 'timeoutSeconds');
  if (e.timeoutFrom.value !== 'notify') r.timeoutFrom = e.timeoutFrom.value;
  if (num(form, 'retryCount') !== undefined || num(form, 'retryInterval') !== undefined) {
    r.retry = { count: num(form, 'retryCount') || 0, intervalSeconds: num(form, 'retryInterval') || 0 };
  }
  if (e.startAt.value) r.startAt = toUnixSeconds(e.startAt.value);
  if (e.endAt.value) r.endAt = toUnixSeconds(e.endAt.value);
  if (e.needConfirm.checked) r.needConfirm = true;
  if (e.offlinePolicy.value) r.offlinePolicy = e.offlinePolicy.value;
  const groups = list(e.groups.value);
  if (groups.length) r.groups = groups.map(countOrPercent);
  if (num(form, 'successThreshold') !== undefined) r.successThreshold = num(form, 'successThreshold');
  if (!e.autoAdvance.checked) r.autoAdvance = false;
  if (e.failureThreshold.value.trim()) r.failureThreshold = countOrPercent(e.failureThreshold.value);
  return r;
}

function createForm(session, navigate, presetPackage) {
  const input = (id, attrs = {}) => h('input', { id: 'job-' + id, ...attrs });
  const check = (id, checked) => h('input', { id: 'job-' + id, type: 'checkbox', checked });
  const error = h('div', { class: 'form-error', id: 'job-form-error', role: 'alert' });
  const form = h('form', { class: 'panel', id: 'job-form', novalidate: true },
    h('h3', {}, t('jobs.create')),
    h('fieldset', {}, h('legend', {}, t('jobs.what')),
      h('div', { class: 'fields' },
        field('packageId', t('jobs.package'), input('packageId', { type: 'number', value: presetPackage || '' })),
        field('type', t('jobs.type'), h('select', { id: 'job-type' },
          h('option', { value: 'batch' }, t('jobs.type.batch')), h('option', { value: 'verify' }, t('jobs.type.verify')))))),
    h('fieldset', {}, h('legend', {}, t('jobs.targets')),
      h('div', { class: 'fields' },
        field('devices', t('jobs.devices'), h('textarea', { id: 'job-devices', rows: 2 }), t('jobs.devicesHint')),
        field('all', t('jobs.all'), check('all')),
        field('sourceVersions', t('pkg.sourceVersions'), input('sourceVersions'), t('pkg.commaList')),
        field('tags', t('jobs.tags'), input('tags', { placeholder: 'region=eu, line=b' })),
        field('percent', t('jobs.percent'), input('percent', { type: 'number', step: 'any' }), t('jobs.percentHint')),
        field('dynamic', t('jobs.dynamic'), check('dynamic'), t('jobs.dynamicHint')))),
    h('fieldset', {}, h('legend', {}, t('jobs.campaign')),
      h('div', { class: 'fields' },
        field('ratePerMinute', t('jobs.rate'), input('ratePerMinute', { type: 'number' }), t('jobs.rateHint')),
        field('timeoutSeconds', t('jobs.timeout'), input('timeoutSeconds', { type: 'number' })),
        field('timeoutFrom', t('jobs.timeoutFrom'), h('select', { id: 'job-timeoutFrom' },
          h('option', { value: 'notify' }, t('jobs.timeoutFrom.notify')),
          h('option', { value: 'progress' }, t('jobs.timeoutFrom.progress')))),
        field('retryCount', t('jobs.retryCount'), input('retryCount', { type: 'number' })),
        field('retryInterval', t('jobs.retryInterval'), input('retryInterval', { type: 'number' })),
        field('retry', t('jobs.retry'), h('span', { class: 'muted' }, t('jobs.retryHint'))),
        field('startAt', t('jobs.startAt'), input('startAt', { type: 'datetime-local' })),
        field('endAt', t('jobs.endAt'), input('endAt', { type: 'datetime-local' })),
        field('needConfirm', t('jobs.needConfirm'), check('needConfirm')),
        field('offlinePolicy', t('jobs.offlinePolicy'), h('select', { id: 'job-offlinePolicy' },
          h('option', { value: '' }, t('jobs.productDefault')),
          h('option', { value: 'wait' }, t('jobs.offline.wait')), h('option', { value: 'fail' }, t('jobs.offline.fail')))))),
    h('fieldset', {}, h('legend', {}, t('jobs.stages')),
      h('div', { class: 'fields' },
        field('groups', t('jobs.groups'), input('groups', { placeholder: '10%, 90%' }), t('jobs.groupsHint')),
        field('successThreshold', t('jobs.successThreshold'), input('successThreshold', { type: 'number' }), t('jobs.successThresholdHint')),
        field('autoAdvance', t('jobs.autoAdvance'), check('autoAdvance', true)),
        field('failureThreshold', t('jobs.failureThreshold'), input('failureThreshold', { placeholder: '5 or 10%' })))),
    error,
    h('button', { type: 'submit', class: 'primary', id: 'job-submit' }, t('jobs.createButton')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { job } = await session.request('createJob', jobRequest(form));
      navigate('/jobs/' + job.id);
    } catch (err) {
      showError(form, err, error, {
        '^retry:': 'retry',
        '^package \\d+ (does not exist|is not verified)': 'packageId',
        '^device .* (is unknown|is listed twice)': 'devices',
        '^no device to upgrade': 'devices',
        'exclude each other|at least one target|needs all': 'all',
      });
    }
  });
  return form;
}
