// Overview: the fleet's figures, live from $SYS/broker/ota/# (retained,
// refreshed every plugin_opt_sys_interval), and a chart of message and
// notification rates since the page opened.
import { h, formatBytes } from '../dom.js';
import { t } from '../i18n.js';
import { chart, COLORS } from '../charts.js';

const TASK_STATES = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'];
const TILES = [
  'devices/total', 'devices/online', 'messages/received', 'messages/rejected',
  'notifications/sent', 'downloads/completed', 'downloads/bytes', 'control/commands',
  'control/errors', 'control/refused', 'store/errors',
];
const RATE_POINTS = 360;

export function render({ session, root }) {
  const values = {};
  const tile = (key) => h('div', { class: 'tile', 'data-sys': key },
    h('div', { class: 'tile-value', id: 'sys-' + key.replace('/', '-') }, '–'),
    h('div', { class: 'tile-label' }, t('sys.' + key)));
  const taskTile = (state) => h('div', { class: 'tile small', 'data-sys': 'tasks/' + state },
    h('div', { class: 'tile-value', id: 'sys-tasks-' + state, style: `color:${COLORS[state]}` }, '–'),
    h('div', { class: 'tile-label' }, t('state.' + state)));
  const jobsBox = h('div', { id: 'running-jobs' });

  const rates = chart('rate-chart', {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        { label: t('overview.received'), data: [], borderColor: '#2980b9', tension: 0.2 },
        { label: t('overview.notified'), data: [], borderColor: '#27ae60', tension: 0.2 },
        { label: t('overview.rejected'), data: [], borderColor: '#c0392b', tension: 0.2 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: t('overview.perSecond') } } } },
  });

  root.append(
    h('h2', {}, t('nav.overview')),
    h('p', { class: 'muted' }, t('overview.intro')),
    h('div', { class: 'tiles' }, TILES.map(tile)),
    h('h3', {}, t('overview.tasks')),
    h('div', { class: 'tiles' }, TASK_STATES.map(taskTile)),
    h('h3', {}, t('overview.rates')),
    rates.box,
    h('h3', {}, t('overview.runningJobs')),
    jobsBox);

  // Rates from successive updates of the counters (one per sys_interval).
  let last = null;
  const sample = () => {
    const now = Date.now();
    const cur = {
      r: values['messages/received'], n: values['notifications/sent'], x: values['messages/rejected'],
    };
    if (cur.r === undefined) return;
    if (last && now > last.at) {
      const dt = (now - last.at) / 1000;
      const c = rates.chart;
      c.data.labels.push(new Date(now).toLocaleTimeString());
      c.data.datasets[0].data.push(+(Math.max(0, cur.r - last.r) / dt).toFixed(2));
      c.data.datasets[1].data.push(+(Math.max(0, cur.n - last.n) / dt).toFixed(2));
      c.data.datasets[2].data.push(+(Math.max(0, cur.x - last.x) / dt).toFixed(2));
      if (c.data.labels.length > RATE_POINTS) {
        c.data.labels.shift();
        for (const d of c.data.datasets) d.data.shift();
      }
      c.update();
    }
    last = { at: now, ...cur };
  };

  const renderJobs = () => {
    const jobs = {};
    for (const [key, v] of Object.entries(values)) {
      const m = /^jobs\/(\d+)\/([A-Z_]+)$/.exec(key);
      if (m && v !== null) (jobs[m[1]] = jobs[m[1]] || {})[m[2]] = v;
    }
    const ids = Object.keys(jobs).sort((a, b) => a - b);
    jobsBox.replaceChildren(ids.length
      ? h('ul', {}, ids.map((id) => {
        const c = jobs[id];
        const total = TASK_STATES.reduce((a, s) => a + (c[s] || 0), 0);
        const done = (c.SUCCEEDED || 0) + (c.FAILED || 0) + (c.CANCELED || 0);
        return h('li', { 'data-job': id },
          h('a', { href: '#/jobs/' + id }, t('jobs.job', { id })), ' ',
          t('overview.jobLine', { done, total, ok: c.SUCCEEDED || 0, failed: c.FAILED || 0 }));
      }))
      : h('p', { class: 'muted' }, t('overview.noRunningJobs')));
  };

  let sampleTimer = null;
  const off = session.onSys((key, value) => {
    if (value === null) delete values[key];
    else values[key] = value;
    const el = root.querySelector('#sys-' + key.replace(/\//g, '-'));
    if (el) el.textContent = value === null ? '–'
      : key === 'downloads/bytes' ? formatBytes(value) : value.toLocaleString('en-US');
    if (key.startsWith('jobs/')) renderJobs();
    // Counters arrive together: sample once the burst has settled.
    clearTimeout(sampleTimer);
    sampleTimer = setTimeout(sample, 200);
  });
  renderJobs();
  return () => {
    off();
    clearTimeout(sampleTimer);
    rates.chart.destroy();
  };
}

