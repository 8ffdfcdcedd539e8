// Living app bindings: which app users may see and confirm which devices
// (listBindings filtered by user and product on the broker, paged; add;
// remove).
import { h, clear, table, pager, field, showError } from '../dom.js';
import { t } from '../i18n.js';

const PAGE = 50;

export function render({ session, root }) {
  const user = h('input', { id: 'bind-filter-user' });
  const product = h('input', { id: 'bind-filter-product' });
  const listBox = h('div', { id: 'binding-list' });
  const message = h('div', { class: 'error', role: 'alert' });

  const load = async (offset = 0) => {
    const fields = { offset, count: PAGE };
    if (user.value.trim()) fields.user = user.value.trim();
    if (product.value.trim()) fields.product = product.value.trim();
    try {
      const data = await session.request('listBindings', fields);
      clear(listBox,
        table([t('bind.user'), t('pkg.product'), t('dev.device'), ''],
          data.bindings.map((b) => ({
            attrs: { 'data-binding': `${b.user}/${b.product}/${b.device}` },
            cells: [b.user, b.product, b.device,
              h('button', { class: 'danger remove', onclick: () => remove(b) }, t('bind.remove'))],
          })), { id: 'bindings-table' }),
        pager(offset, data.count, data.more, load));
    } catch (err) {
      message.textContent = err.message;
    }
  };

  const remove = async (b) => {
    message.textContent = '';
    try {
      await session.request('unbindDevice', { user: b.user, product: b.product, device: b.device });
    } catch (err) {
      message.textContent = err.message;
    }
    load();
  };

  const error = h('div', { class: 'form-error' });
  const form = h('form', { class: 'panel', id: 'binding-form', novalidate: true },
    h('h3', {}, t('bind.add')),
    h('div', { class: 'fields' },
      field('user', t('bind.user'), h('input', { id: 'bind-user' })),
      field('product', t('pkg.product'), h('input', { id: 'bind-product' })),
      field('device', t('dev.device'), h('input', { id: 'bind-device' }))),
    error, h('button', { type: 'submit', class: 'primary', id: 'bind-submit' }, t('bind.addButton')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const el = form.elements;
    try {
      await session.request('bindDevice', { user: el.user.value.trim(), product: el.product.value.trim(), device: el.device.value.trim() });
      error.textContent = '';
      el.device.value = '';
      load();
    } catch (err) {
      showError(form, err, error);
    }
  });

  root.append(h('h2', {}, t('nav.bindings')), h('p', { class: 'muted' }, t('bind.intro')),
    h('div', { class: 'toolbar' }, h('label', {}, t('bind.user'), user), h('label', {}, t('pkg.product'), product),
      h('button', { onclick: () => load(0) }, t('common.apply'))),
    message, listBox, form);
  load(0);
}
