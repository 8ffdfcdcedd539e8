// Products: every configured or packaged product with its dialect and
// settings (editable), the version distribution of a product's module as a
// chart, and its compliance against the newest package: on target, busy
// with a task, failed, or still needing the update.
import { h, clear, table, pager, field, showError } from '../dom.js';
import { t } from '../i18n.js';
import { chart, color } from '../charts.js';

const PAGE = 50;
const DIALECTS = ['aliyun', 'thingspanel', 'ctwing', 'tencent'];
const COMPLIANCE = [['onTarget', '#27ae60'], ['inProgress', '#f39c12'], ['failed', '#c0392b'], ['needsUpdate', '#7f8c8d']];

export function render({ session, root }) {
  const listBox = h('div', { id: 'product-list' });
  const detail = h('div', { id: 'product-detail' });
  const charts = [];
  const dropCharts = () => { while (charts.length) charts.pop().destroy(); };
  let disposed = false;

  const load = async (offset = 0) => {
    try {
      const data = await session.request('listProducts', { offset, count: PAGE });
      clear(listBox,
        table([t('pkg.product'), t('prod.dialect'), t('prod.successRule'), t('prod.offlinePolicy'),
          t('prod.identity'), t('prod.requireVerified'), t('prod.download'), t('prod.modules')],
        data.products.map((p) => ({
          attrs: { 'data-product': p.product },
          cells: [h('a', { href: 'javascript:void 0', class: 'open-product', onclick: () => open(p, p.modules[0] || 'default') }, p.product),
            p.dialect || t('prod.defaultDialect'), p.successRule, p.offlinePolicy, p.identity,
            p.requireVerified ? t('common.yes') : t('common.no'), p.downloadProtocol, p.modules.join(', ')],
        })), { id: 'products-table' }),
        pager(offset, data.count, data.more, load));
      if (!detail.firstChild && data.products.length) open(data.products[0], data.products[0].modules[0] || 'default');
    } catch (err) {
      clear(listBox, h('p', { class: 'error' }, err.message));
    }
  };

  const open = async (p, module) => {
    dropCharts();
    let stats;
    try {
      ({ statistics: stats } = await session.request('getStatistics', { product: p.product, module }));
    } catch (err) {
      clear(detail, h('p', { class: 'error' }, err.message));
      return;
    }
    if (disposed) return;  // a reply that arrived after the page was left
    dropCharts();  // of an open() that finished in the meantime
    const versions = Object.entries(stats.versions).sort((a, b) => b[1] - a[1]);
    const dist = chart('version-chart', {
      type: 'bar',
      data: { labels: versions.map(([v]) => v), datasets: [{ label: t('prod.devices'), data: versions.map(([, n]) => n), backgroundColor: versions.map((_, i) => color(i)) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    charts.push(dist.chart);
    const c = stats.compliance;
    let complianceBox = h('p', { class: 'muted', id: 'compliance' }, t('prod.noPackage'));
    if (c && c.onTarget === undefined) {
      // A big product is counted in slices: the first count is running.
      complianceBox = h('p', { class: 'muted', id: 'compliance' }, t('prod.complianceCounting'));
    } else if (c) {
      const pie = chart('compliance-chart', {
        type: 'doughnut',
        data: { labels: COMPLIANCE.map(([k]) => t('prod.' + k)), datasets: [{ data: COMPLIANCE.map(([k]) => c[k]), backgroundColor: COMPLIANCE.map(([, col]) => col) }] },
        options: { plugins: { legend: { position: 'right' } } },
      });
      charts.push(pie.chart);
      complianceBox = h('div', { id: 'compliance' },
        h('p', {}, t('prod.complianceAgainst', { version: c.targetVersion })),
        h('div', { class: 'tiles' }, COMPLIANCE.map(([k, col]) => h('div', { class: 'tile small' },
          h('div', { class: 'tile-value', id: 'compliance-' + k, style: `color:${col}` }, c[k]),
          h('div', { class: 'tile-label' }, t('prod.' + k))))),
        pie.box,
        c.asOf ? h('p', { class: 'muted', id: 'compliance-as-of' },
          t('prod.complianceAsOf', { time: new Date(c.asOf).toLocaleString() })) : null);
    }
    const moduleSel = h('select', { id: 'product-module', onchange: (e) => open(p, e.target.value) },
      (p.modules.length ? p.modules : ['default']).map((m) => h('option', { value: m, selected: m === module }, m)));
    clear(detail,
      h('h3', {}, t('prod.detail', { product: p.product })),
      h('div', { class: 'toolbar' }, h('label', {}, t('pkg.module'), moduleSel),
        h('span', { class: 'muted', id: 'product-device-count' }, t('prod.deviceCount', { n: stats.devices }))),
      h('div', { class: 'charts' },
        h('div', {}, h('h3', {}, t('prod.distribution')), dist.box),
        h('div', {}, h('h3', {}, t('prod.compliance')), complianceBox)),
      configForm(session, p, () => load()));
  };

  root.append(h('h2', {}, t('nav.products')), h('p', { class: 'muted' }, t('prod.intro')), listBox, detail,
    configForm(session, null, () => load()));
  load(0);
  return () => {
    disposed = true;
    dropCharts();
  };
}

// setProductConfig for `p`, or for a product typed in (p null).
function configForm(session, p, reload) {
  const error = h('div', { class: 'form-error' });
  const notice = h('div', { class: 'notice' });
  const sel = (name, options, value) => h('select', { id: `cfg-${p ? 'edit' : 'new'}-${name}` },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  const form = h('form', { class: 'panel', id: p ? 'product-config' : 'product-new', novalidate: true },
    h('h3', {}, p ? t('prod.settings', { product: p.product }) : t('prod.configureNew')),
    h('div', { class: 'fields' },
      p ? null : field('product', t('pkg.product'), h('input', { id: 'cfg-new-product' })),
      field('dialect', t('prod.dialect'), sel('dialect', [['', t('prod.defaultDialect')], ...DIALECTS.map((d) => [d, d])], p && p.dialect || '')),
      field('successRule', t('prod.successRule'), sel('successRule', [['version', t('prod.rule.version')], ['progress100', t('prod.rule.progress100')]], p ? p.successRule : 'version')),
      field('offlinePolicy', t('prod.offlinePolicy'), sel('offlinePolicy', [['wait', t('jobs.offline.wait')], ['fail', t('jobs.offline.fail')]], p ? p.offlinePolicy : 'wait')),
      field('identity', t('prod.identity'), sel('identity', [['topic', 'topic'], ['clientid', 'clientid'], ['username', 'username']], p ? p.identity : 'topic')),
      field('requireVerified', t('prod.requireVerified'), h('input', { type: 'checkbox', checked: p && p.requireVerified })),
      field('aliyunCode', t('prod.aliyunCode'), h('input', { value: p && p.aliyunCode || '', placeholder: '200' })),
      field('downloadProtocol', t('prod.download'), sel('downloadProtocol', [['https', 'https'], ['mqtt', 'mqtt']], p ? p.downloadProtocol : 'https'))),
    error, notice,
    h('button', { type: 'submit', class: 'primary' }, t('common.save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const el = form.elements;
    const fields = {
      product: p ? p.product : el.product.value.trim(),
      successRule: el.successRule.value, offlinePolicy: el.offlinePolicy.value, identity: el.identity.value,
      requireVerified: el.requireVerified.checked, downloadProtocol: el.downloadProtocol.value,
    };
    if (el.dialect.value) fields.dialect = el.dialect.value;
    if (el.aliyunCode.value.trim()) fields.aliyunCode = el.aliyunCode.value.trim();
    try {
      await session.request('setProductConfig', fields);
      notice.textContent = t('common.saved');
      error.textContent = '';
      reload();
    } catch (err) {
      notice.textContent = '';
      showError(form, err, error, { '^dialect ': 'dialect' });
    }
  });
  return form;
}
