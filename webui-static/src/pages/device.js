// One device: its modules and versions, tags, and every task with its
// history as a timeline; retry or cancel its task.
import { h, clear, table, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';

const ACTIVE = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS'];

export function render({ session, root }, product, name) {
  const box = h('div', { id: 'device-detail' });
  const message = h('div', { class: 'error', id: 'device-message', role: 'alert' });
  root.append(h('h2', {}, t('dev.title', { device: name, product })), message, box);

  const act = async (command, jobId) => {
    message.textContent = '';
    try {
      await session.request(command, { jobId, device: name });
    } catch (err) {
      message.textContent = err.message;
    }
    load();
  };

  const load = async () => {
    let device;
    try {
      ({ device } = await session.request('getDevice', { product, device: name }));
    } catch (err) {
      message.textContent = err.message;
      return;
    }
    const tasks = [...device.tasks].reverse();  // newest job first
    clear(box,
      h('div', { class: 'panel' }, h('dl', { class: 'kv' },
        h('dt', {}, t('dev.connection')), h('dd', { id: 'device-online' }, device.online ? t('dev.online') : t('dev.offline')),
        h('dt', {}, t('dev.firstSeen')), h('dd', {}, formatTime(device.firstSeen)),
        h('dt', {}, t('dev.lastSeen')), h('dd', {}, formatTime(device.lastSeen)),
        h('dt', {}, t('dev.tags')), h('dd', {}, Object.entries(device.tags).map(([k, v]) => `${k}=${v}`).join(', ') || '–'))),
      h('h3', {}, t('dev.modules')),
      table([t('pkg.module'), t('pkg.version'), t('dev.reportedAt')],
        Object.entries(device.modules).map(([m, v]) => ({ attrs: { 'data-module': m }, cells: [m, v.version, formatTime(v.reportedAt)] })),
        { id: 'modules-table' }),
      h('h3', {}, t('dev.tasks')),
      tasks.length ? tasks.map((task) => h('div', { class: 'panel task', 'data-job': task.jobId },
        h('div', { class: 'actions' },
          h('strong', {}, h('a', { href: '#/jobs/' + task.jobId }, t('jobs.job', { id: task.jobId }))),
          ' ', t('pkg.module'), ': ', task.module, ' ', badge(task.state),
          task.reason ? h('span', { class: 'error' }, ' ' + task.reason) : null,
          ACTIVE.includes(task.state) && h('button', { class: 'cancel', onclick: () => act('cancelTask', task.jobId) }, t('common.cancel')),
          (task.state === 'FAILED' || task.state === 'CANCELED') &&
            h('button', { class: 'retry', onclick: () => act('retryTask', task.jobId) }, t('job.retry'))),
        h('ol', { class: 'timeline' }, (task.history || []).map((e) => h('li', { class: e.state },
          h('span', { class: 'muted' }, formatTime(e.at)), ' ', badge(e.state),
          e.step ? ` ${e.step}%` : '', e.detail ? ' · ' + e.detail : '')))))
        : h('p', { class: 'muted' }, t('dev.noTasks')));
  };
  load();
  const timer = setInterval(load, 3000);
  return () => clearInterval(timer);
}
