// One job: state and actions (pause, resume, cancel), per-state counts,
// staged group progress, progress over time (sampled while the page is
// open), failure reasons, and its devices' tasks filtered by state on the
// broker, with retry, cancel and confirm for one device.
import { h, clear, table, pager, badge, jobBar, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { chart, COLORS } from '../charts.js';

const POLL_MS = 1500;
const TASK_POLL_MS = 5000;
const PAGE = 25;
const STATES = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'];
const ACTIVE = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS'];
const sum = (c, states) => states.reduce((a, s) => a + ((c && c[s]) || 0), 0);

export function render({ session, root }, idText) {
  const id = Number(idText);
  const head = h('div', { id: 'job-head' });
  const counts = h('div', { class: 'tiles', id: 'job-counts' });
  const groups = h('div', { id: 'job-groups' });
  const reasons = h('div', { id: 'job-reasons' });
  const message = h('div', { class: 'error', id: 'job-message', role: 'alert' });
  const tasksBox = h('div', { id: 'job-tasks' });
  const filter = h('select', { id: 'task-state-filter', onchange: () => loadTasks(0) },
    h('option', { value: '' }, t('common.any')), STATES.map((s) => h('option', { value: s }, t('state.' + s))));

  const progress = chart('job-progress-chart', {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        { label: t('state.SUCCEEDED'), data: [], borderColor: COLORS.SUCCEEDED, tension: 0.2 },
        { label: t('state.FAILED'), data: [], borderColor: COLORS.FAILED, tension: 0.2 },
        { label: t('job.active'), data: [], borderColor: COLORS.IN_PROGRESS, tension: 0.2 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: t('job.tasks') } } } },
  });
  const states = chart('job-state-chart', {
    type: 'doughnut',
    data: { labels: STATES.map((s) => t('state.' + s)), datasets: [{ data: STATES.map(() => 0), backgroundColor: STATES.map((s) => COLORS[s]) }] },
    options: { plugins: { legend: { position: 'right' } } },
  });

  root.append(h('h2', {}, t('jobs.job', { id })), head, message, counts,
    h('div', { class: 'charts' },
      h('div', {}, h('h3', {}, t('job.overTime')), progress.box),
      h('div', {}, h('h3', {}, t('job.byState')), states.box)),
    h('h3', {}, t('job.groups')), groups,
    h('h3', {}, t('job.reasons')), reasons,
    h('h3', {}, t('job.devices')),
    h('div', { class: 'toolbar' }, h('label', {}, t('jobs.state'), filter)),
    tasksBox);

  const act = async (command, fields) => {
    message.textContent = '';
    try {
      await session.request(command, fields);
    } catch (err) {
      message.textContent = err.message;
    }
    loadJob();
    loadTasks();
  };

  let taskOffset = 0;
  const loadTasks = async (offset = taskOffset) => {
    taskOffset = offset;
    const fields = { jobId: id, offset, count: PAGE };
    if (filter.value) fields.state = filter.value;
    try {
      const data = await session.request('listTasks', fields);
      clear(tasksBox,
        table([t('dev.device'), t('jobs.state'), t('job.step'), t('job.reason'), t('job.detail'),
          t('job.group'), t('job.attempts'), t('job.updated'), ''],
        data.tasks.map((task) => ({
          attrs: { 'data-device': task.device, 'data-state': task.state },
          cells: [
            h('a', { href: `#/devices/${encodeURIComponent(task.product)}/${encodeURIComponent(task.device)}` }, task.device),
            badge(task.state), task.step, task.reason, task.detail, task.group + 1, task.attempts,
            formatTime(task.updatedAt),
            h('div', { class: 'actions' },
              task.state === 'CONFIRM' && h('button', { class: 'confirm', onclick: () => act('confirmTask', { jobId: id, device: task.device }) }, t('job.confirm')),
              ACTIVE.includes(task.state) && h('button', { class: 'cancel', onclick: () => act('cancelTask', { jobId: id, device: task.device }) }, t('common.cancel')),
              (task.state === 'FAILED' || task.state === 'CANCELED') &&
                h('button', { class: 'retry', onclick: () => act('retryTask', { jobId: id, device: task.device }) }, t('job.retry'))),
          ],
        })), { id: 'tasks-table' }),
        pager(offset, data.count, data.more, loadTasks));
    } catch (err) {
      clear(tasksBox, h('p', { class: 'error' }, err.message));
    }
  };

  let disposed = false;
  const loadJob = async () => {
    let job;
    try {
      ({ job } = await session.request('getJob', { jobId: id }));
    } catch (err) {
      message.textContent = err.message;
      return;
    }
    if (disposed) return;  // a reply that arrived after the page was left
    const c = job.counts;
    const finished = sum(c, ['SUCCEEDED', 'FAILED', 'CANCELED']);
    clear(head,
      h('div', { class: 'panel' },
        h('dl', { class: 'kv' },
          h('dt', {}, t('jobs.state')), h('dd', { id: 'job-state', 'data-state': job.state }, badge(job.state),
            job.stateReason ? h('span', { class: 'muted', id: 'job-state-reason' }, ' ' + job.stateReason) : null),
          h('dt', {}, t('jobs.package')), h('dd', {}, `#${job.packageId} (${job.product} / ${job.module})`),
          h('dt', {}, t('jobs.type')), h('dd', {}, t('jobs.type.' + job.type)),
          h('dt', {}, t('jobs.progress')), h('dd', {}, jobBar(c, job.taskCount),
            h('span', { id: 'job-finished' }, t('job.finished', { done: finished, total: job.taskCount, skipped: job.skipped }))),
          h('dt', {}, t('job.successRate')), h('dd', { id: 'job-success-rate' }, (100 * job.successRate).toFixed(1) + ' %'),
          h('dt', {}, t('job.options')), h('dd', {}, describeOptions(job)),
          h('dt', {}, t('job.timing')), h('dd', {}, t('job.timingText', {
            created: formatTime(job.createdAt), started: formatTime(job.startedAt),
            finished: formatTime(job.finishedAt), elapsed: (job.elapsedMs / 1000).toFixed(1) }))),
        h('div', { class: 'actions' },
          job.state === 'running' || job.state === 'scheduled'
            ? h('button', { id: 'job-pause', onclick: () => act('pauseJob', { jobId: id }) }, t('job.pause')) : null,
          job.state === 'paused' ? h('button', { id: 'job-resume', class: 'primary', onclick: () => act('resumeJob', { jobId: id }) }, t('job.resume')) : null,
          job.state !== 'completed' && job.state !== 'canceled'
            ? h('button', { id: 'job-cancel', class: 'danger', onclick: () => {
              if (window.confirm(t('job.cancelConfirm', { id }))) act('cancelJob', { jobId: id });
            } }, t('job.cancelJob')) : null)));
    clear(counts, STATES.map((s) => h('div', { class: 'tile small' },
      h('div', { class: 'tile-value', id: 'job-count-' + s, style: `color:${COLORS[s]}` }, c[s]),
      h('div', { class: 'tile-label' }, t('state.' + s)))));
    clear(groups, table([t('job.group'), t('job.size'), t('jobs.progress'), t('jobs.state')],
      job.groupSizes.map((size, g) => {
        const gc = (job.groupCounts || [])[g] || {};
        const done = sum(gc, ['SUCCEEDED', 'FAILED', 'CANCELED']);
        const over = job.state === 'completed' || job.state === 'canceled';
        const status = over || g < job.currentGroup ? t('job.groupDone') : g === job.currentGroup ? t('job.groupCurrent') : t('job.groupPending');
        return { attrs: { 'data-group': g }, cells: [g + 1, size, h('div', {}, jobBar(gc, size), h('small', {}, `${done} / ${size}`)), status] };
      }), { id: 'groups-table' }));
    const rs = Object.entries(job.failureReasons || {});
    clear(reasons, table([t('job.reason'), t('job.count')], rs.map(([r, n]) => ({ attrs: { 'data-reason': r }, cells: [r, n] })), { id: 'reasons-table' }));
    // One sample per poll: progress over time since the page opened.
    const p = progress.chart;
    p.data.labels.push(new Date().toLocaleTimeString());
    p.data.datasets[0].data.push(c.SUCCEEDED);
    p.data.datasets[1].data.push(c.FAILED);
    p.data.datasets[2].data.push(sum(c, ACTIVE));
    p.update();
    states.chart.data.datasets[0].data = STATES.map((s) => c[s]);
    states.chart.update();
  };

  loadJob();
  loadTasks(0);
  // getJob reads counters; listTasks with a state filter may read many of
  // a big job's tasks to fill its page, so it refreshes less often. Neither
  // runs while the tab is hidden.
  const timer = setInterval(() => { if (!document.hidden) loadJob(); }, POLL_MS);
  const taskTimer = setInterval(() => { if (!document.hidden) loadTasks(); }, TASK_POLL_MS);
  return () => {
    disposed = true;
    clearInterval(timer);
    clearInterval(taskTimer);
    progress.chart.destroy();
    states.chart.destroy();
  };
}

function describeOptions(job) {
  const parts = [];
  if (job.targets.all) parts.push(t('jobs.all'));
  if (job.targets.sourceVersions.length) parts.push(t('pkg.sourceVersions') + ': ' + job.targets.sourceVersions.join(', '));
  if (Object.keys(job.targets.tags).length) parts.push(t('jobs.tags') + ': ' + Object.entries(job.targets.tags).map(([k, v]) => `${k}=${v}`).join(', '));
  if (job.targets.percent && job.targets.percent < 100) parts.push(t('jobs.percent') + ': ' + job.targets.percent + '%');
  if (job.dynamic) parts.push(t('jobs.dynamic'));
  if (job.ratePerMinute) parts.push(t('jobs.rate') + ': ' + job.ratePerMinute);
  parts.push(t('jobs.timeout') + ': ' + job.timeoutSeconds + ' s');
  if (job.retry.count) parts.push(t('jobs.retry') + `: ${job.retry.count} × ${job.retry.intervalSeconds} s`);
  if (job.needConfirm) parts.push(t('jobs.needConfirm'));
  parts.push(t('jobs.offlinePolicy') + ': ' + t('jobs.offline.' + job.offlinePolicy));
  if (job.failureThreshold) {
    parts.push(t('jobs.failureThreshold') + ': ' + (job.failureThreshold.count || job.failureThreshold.percent + '%'));
  }
  return parts.join(' · ');
}
