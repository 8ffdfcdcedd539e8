// Devices: one product's devices filtered on the broker (module, version,
// latest task state, online, a name prefix), paged; or one device by name.
import { h, clear, table, pager, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';

const PAGE = 50;
const STATES = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'];

export function render({ session, root, navigate }) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const product = h('input', { id: 'dev-product', list: 'dev-products', value: params.get('product') || '' });
  const products = h('datalist', { id: 'dev-products' });
  const module = h('input', { id: 'dev-module', placeholder: 'default', value: params.get('module') || '' });
  const version = h('input', { id: 'dev-version', value: params.get('version') || '' });
  const state = h('select', { id: 'dev-state' }, h('option', { value: '' }, t('common.any')),
    STATES.map((s) => h('option', { value: s, selected: params.get('state') === s }, t('state.' + s))));
  const online = h('select', { id: 'dev-online' }, h('option', { value: '' }, t('common.any')),
    h('option', { value: 'true' }, t('dev.online')), h('option', { value: 'false' }, t('dev.offline')));
  const name = h('input', { id: 'dev-name' });
  const listBox = h('div', { id: 'device-list' });
  const message = h('div', { class: 'error', role: 'alert' });

  const load = async (offset = 0) => {
    message.textContent = '';
    if (!product.value.trim()) {
      clear(listBox, h('p', { class: 'muted' }, t('dev.pickProduct')));
      return;
    }
    const fields = { product: product.value.trim(), offset, count: PAGE };
    if (module.value.trim()) fields.module = module.value.trim();
    if (version.value.trim()) fields.version = version.value.trim();
    if (state.value) fields.state = state.value;
    if (online.value) fields.online = online.value === 'true';
    if (name.value.trim()) fields.prefix = name.value.trim();
    try {
      const data = await session.request('listDevices', fields);
      const mod = fields.module || 'default';
      clear(listBox,
        table([t('dev.device'), t('dev.online'), t('dev.version', { module: mod }), t('dev.modules'),
          t('dev.lastTask'), t('dev.lastSeen')],
        data.devices.map((d) => ({
          attrs: { 'data-device': d.device },
          cells: [
            h('a', { href: `#/devices/${encodeURIComponent(d.product)}/${encodeURIComponent(d.device)}` }, d.device),
            d.online ? t('dev.online') : t('dev.offline'),
            (d.modules[mod] || {}).version || '–',
            Object.keys(d.modules).join(', '),
            d.lastTask ? h('span', {}, h('a', { href: '#/jobs/' + d.lastTask.jobId }, '#' + d.lastTask.jobId), ' ', badge(d.lastTask.state)) : '–',
            formatTime(d.lastSeen)],
        })), { id: 'devices-table' }),
        pager(offset, data.count, data.more, load));
    } catch (err) {
      message.textContent = err.message;
    }
  };

  const find = async () => {
    message.textContent = '';
    try {
      await session.request('getDevice', { product: product.value.trim(), device: name.value.trim() });
      navigate(`/devices/${encodeURIComponent(product.value.trim())}/${encodeURIComponent(name.value.trim())}`);
    } catch (err) {
      message.textContent = err.message;
    }
  };

  root.append(h('h2', {}, t('nav.devices')), products,
    h('div', { class: 'toolbar' },
      h('label', {}, t('pkg.product'), product), h('label', {}, t('pkg.module'), module),
      h('label', {}, t('pkg.version'), version), h('label', {}, t('dev.taskState'), state),
      h('label', {}, t('dev.online'), online),
      h('button', { id: 'dev-apply', class: 'primary', onclick: () => load(0) }, t('common.apply')),
      h('label', {}, t('dev.findByName'), name),
      h('button', { id: 'dev-find', onclick: find }, t('dev.find'))),
    message, listBox);
  session.request('listProducts', { count: 1000 }).then((data) => {
    clear(products, data.products.map((p) => h('option', { value: p.product })));
    if (!product.value && data.products.length) product.value = data.products[0].product;
    load(0);
  }, (err) => { message.textContent = err.message; });
}
