// Packages: the list (paged, filtered by product on the broker), an upload
// into the firmware store with a progress bar, packages with an external
// URL, a verify job for a few test devices, and delete.
import { h, clear, table, pager, field, showError, formatBytes, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { uploadFile } from '../upload.js';

const PAGE = 20;
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function render({ session, root, navigate, onReconnect }) {
  const state = { product: '', offset: 0 };
  const listBox = h('div', { id: 'package-list' });
  const message = h('div', { class: 'notice', id: 'package-message', role: 'status' });

  const load = async (offset = state.offset) => {
    state.offset = offset;
    const fields = { offset, count: PAGE };
    if (state.product) fields.product = state.product;
    try {
      const data = await session.request('listPackages', fields);
      clear(listBox,
        table([t('pkg.id'), t('pkg.product'), t('pkg.module'), t('pkg.version'), t('pkg.size'),
          t('pkg.source'), t('pkg.verified'), t('pkg.createdAt'), ''],
        data.packages.map((p) => ({
          attrs: { 'data-package': p.id },
          cells: [p.id, p.product, p.module, p.version, formatBytes(p.size),
            p.stored ? t('pkg.stored') : h('span', { title: p.url }, t('pkg.external')),
            p.verified ? t('common.yes') : t('common.no'), formatTime(p.createdAt),
            h('div', { class: 'actions' },
              h('button', { class: 'new-job', onclick: () => navigate(`/jobs?new=${p.id}`) }, t('pkg.newJob')),
              h('button', { class: 'verify', onclick: () => verify(p) }, t('pkg.verify')),
              h('button', { class: 'danger delete', onclick: () => remove(p) }, t('common.delete')))],
        })), { id: 'packages-table' }),
        pager(offset, data.count, data.more, load));
    } catch (err) {
      clear(listBox, h('p', { class: 'error' }, err.message));
    }
  };

  const verify = async (p) => {
    const devices = window.prompt(t('pkg.verifyPrompt', { version: p.version }));
    if (!devices) return;
    try {
      const { job } = await session.request('createJob', { packageId: p.id, type: 'verify', devices: list(devices) });
      navigate('/jobs/' + job.id);
    } catch (err) {
      message.className = 'error';
      message.textContent = err.message;
    }
  };

  const remove = async (p) => {
    if (!window.confirm(t('common.confirmDelete', { what: `${p.product} ${p.module} ${p.version}` }))) return;
    try {
      await session.request('deletePackage', { packageId: p.id });
      message.className = 'notice';
      message.textContent = t('pkg.deleted', { id: p.id });
    } catch (err) {
      message.className = 'error';
      message.textContent = err.message;
    }
    load();
  };

  const productFilter = h('input', { id: 'package-product-filter', placeholder: t('pkg.product') });
  root.append(
    h('h2', {}, t('nav.packages')),
    h('div', { class: 'toolbar' },
      h('label', {}, t('pkg.product'), productFilter),
      h('button', { onclick: () => { state.product = productFilter.value.trim(); load(0); } }, t('common.apply'))),
    message, listBox,
    uploadForm(session, () => load(0), message),
    urlForm(session, () => load(0), message));
  load(0);
  onReconnect(() => load());
}

// Fields every new package has (product, module, version, ...).
function commonFields(prefix) {
  return [
    field('product', t('pkg.product'), h('input', { id: prefix + 'product', required: true })),
    field('module', t('pkg.module'), h('input', { id: prefix + 'module', placeholder: 'default' })),
    field('version', t('pkg.version'), h('input', { id: prefix + 'version', required: true })),
    field('signMethod', t('pkg.signMethod'), h('select', { id: prefix + 'signMethod' },
      h('option', { value: 'MD5' }, 'MD5'), h('option', { value: 'SHA256' }, 'SHA256'))),
    field('sourceVersions', t('pkg.sourceVersions'), h('input', { id: prefix + 'sourceVersions' }), t('pkg.commaList')),
    field('description', t('pkg.description'), h('input', { id: prefix + 'description' })),
    field('diff', t('pkg.diff'), h('input', { id: prefix + 'diff', type: 'checkbox' })),
  ];
}

function commonValues(form) {
  const v = (n) => form.elements[n].value.trim();
  const fields = { product: v('product'), version: v('version'), signMethod: v('signMethod') };
  if (v('module')) fields.module = v('module');
  if (v('sourceVersions')) fields.sourceVersions = list(v('sourceVersions'));
  if (v('description')) fields.description = v('description');
  if (form.elements.diff.checked) fields.diff = true;
  return fields;
}

function uploadForm(session, reload, message) {
  const file = h('input', { type: 'file', id: 'upload-file', required: true });
  const progress = h('progress', { id: 'upload-progress', max: 1, value: 0 });
  const status = h('div', { id: 'upload-status', class: 'muted' });
  const error = h('div', { class: 'form-error' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'upload-submit' }, t('pkg.upload'));
  const form = h('form', { class: 'panel', id: 'upload-form' },
    h('h3', {}, t('pkg.uploadTitle')),
    h('div', { class: 'fields' }, field('file', t('pkg.file'), file), commonFields('up-')),
    progress, status, error, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) return;
    const fields = commonValues(form);
    button.disabled = true;
    error.textContent = '';
    try {
      const stored = await uploadFile(session, f, ({ phase, done, total }) => {
        progress.max = total || 1;
        progress.value = phase === 'hash' ? 0 : done;
        status.textContent = t(phase === 'hash' ? 'pkg.hashing' : 'pkg.uploading',
          { done: formatBytes(done), total: formatBytes(total), percent: Math.floor((100 * done) / (total || 1)) });
      });
      status.textContent = t('pkg.uploaded', { sha256: stored.sha256 });
      const { package: p } = await session.request('createPackage', { ...fields, fileSha256: stored.sha256 });
      message.className = 'notice';
      message.textContent = t('pkg.created', { id: p.id, version: p.version });
      form.reset();
      progress.value = progress.max;
      reload();
    } catch (err) {
      showError(form, err, error, { 'already has product': 'version', '^sign ': 'signMethod' });
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function urlForm(session, reload, message) {
  const error = h('div', { class: 'form-error' });
  const form = h('form', { class: 'panel', id: 'url-form' },
    h('h3', {}, t('pkg.urlTitle')),
    h('div', { class: 'fields' },
      field('url', t('pkg.url'), h('input', { id: 'url-url', placeholder: 'https://' })),
      field('size', t('pkg.size'), h('input', { id: 'url-size', type: 'number', min: 1 })),
      field('sign', t('pkg.sign'), h('input', { id: 'url-sign' }), t('pkg.signHint')),
      commonFields('url-')),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('pkg.add')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fields = { ...commonValues(form), url: form.elements.url.value.trim(),
      size: Number(form.elements.size.value), sign: form.elements.sign.value.trim() };
    try {
      const { package: p } = await session.request('createPackage', fields);
      message.className = 'notice';
      message.textContent = t('pkg.created', { id: p.id, version: p.version });
      form.reset();
      reload();
    } catch (err) {
      showError(form, err, error, { '^sign ': 'sign', '^url ': 'url', 'already has product': 'version' });
    }
  });
  return form;
}
