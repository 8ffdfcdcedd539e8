// The console: a login form, then one page per hash route (#/overview,
// #/jobs/3, ...). Served by mosquitto's http_dir without Content-Type
// headers, so this is one classic-script bundle that brings its own styles.
import css from './style.css';
import { Session, LoginError } from './session.js';
import { h, clear } from './dom.js';
import { t, language, setLanguage, LANGUAGE_NAMES } from './i18n.js';
import * as overview from './pages/overview.js';
import * as products from './pages/products.js';
import * as packages from './pages/packages.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as devices from './pages/devices.js';
import * as device from './pages/device.js';
import * as bindings from './pages/bindings.js';

const NAV = ['overview', 'products', 'packages', 'jobs', 'devices', 'bindings'];
const ROUTES = [
  [/^\/overview$/, overview],
  [/^\/products$/, products],
  [/^\/packages$/, packages],
  [/^\/jobs$/, jobs],
  [/^\/jobs\/(\d+)$/, job],
  [/^\/devices$/, devices],
  [/^\/devices\/([^/]+)\/([^/]+)$/, device],
  [/^\/bindings$/, bindings],
];

const app = { session: null, cleanup: null, root: null, banner: null, reconnectHandlers: [] };

function brokerUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/mqtt`;
}

function languagePicker(onChange) {
  return h('select', {
    class: 'lang', 'aria-label': 'language',
    onchange: (e) => { setLanguage(e.target.value); onChange(); },
  }, Object.entries(LANGUAGE_NAMES).map(([code, name]) =>
    h('option', { value: code, selected: code === language() }, name)));
}

function showLogin(message) {
  document.title = t('app.title');
  const error = h('div', { class: 'login-error', id: 'login-error', role: 'alert' }, message || '');
  const user = h('input', { id: 'login-user', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password' });
  const button = h('button', { type: 'submit', id: 'login-submit' }, t('login.submit'));
  const form = h('form', {
    class: 'login', id: 'login-form',
    onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      error.textContent = t('login.connecting');
      const session = new Session(brokerUrl());
      try {
        await session.login(user.value, pass.value);
      } catch (err) {
        button.disabled = false;
        error.textContent = err instanceof LoginError
          ? t(err.key, { detail: err.detail, user: user.value })
          : String(err.message || err);
        pass.value = '';
        return;
      }
      pass.value = '';
      startConsole(session);
    },
  },
  h('h1', {}, t('app.title')),
  h('p', { class: 'muted' }, t('login.intro')),
  h('label', { for: 'login-user' }, t('login.username')), user,
  h('label', { for: 'login-password' }, t('login.password')), pass,
  button, error,
  languagePicker(() => showLogin()));
  clear(document.getElementById('app'), form);
  user.focus();
}

function startConsole(session) {
  app.session = session;
  app.banner = h('div', { class: 'banner', id: 'connection-banner', hidden: true });
  session.onState((state) => {
    if (state === 'connected') {
      app.banner.textContent = t('conn.restored');
      app.banner.className = 'banner ok';
      app.banner.dataset.state = 'connected';
      setTimeout(() => { if (app.banner.dataset.state === 'connected') app.banner.hidden = true; }, 3000);
      // Reload the page's data: through the page's own handlers when it
      // has any (so that work in progress, such as an upload, carries on),
      // else by rendering it again.
      if (app.reconnectHandlers.length) for (const fn of app.reconnectHandlers) fn();
      else route();
    } else {
      app.banner.hidden = false;
      app.banner.className = 'banner bad';
      app.banner.dataset.state = state;
      app.banner.textContent = t(state === 'reconnecting' ? 'conn.reconnecting' : 'conn.lost');
    }
  });
  renderShell();
  if (!location.hash || location.hash === '#/') location.hash = '#/overview';
  else route();
}

function renderShell() {
  const nav = h('nav', {},
    h('span', { class: 'brand' }, t('app.title')),
    NAV.map((name) => h('a', { href: '#/' + name, id: 'nav-' + name }, t('nav.' + name))),
    h('span', { class: 'spacer' }),
    h('span', { class: 'user', id: 'current-user' }, app.session.username),
    languagePicker(() => { renderShell(); route(); }),
    h('button', { id: 'logout', onclick: logout }, t('nav.logout')));
  app.root = h('main', { id: 'page' });
  clear(document.getElementById('app'), nav, app.banner, app.root);
}

function logout() {
  if (app.cleanup) app.cleanup();
  app.cleanup = null;
  app.session.logout();
  app.session = null;
  showLogin();
}

function route() {
  if (!app.session) return;
  // '#/jobs?new=3': the part before '?' picks the page; pages read the rest.
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/overview';
  if (app.cleanup) app.cleanup();
  app.cleanup = null;
  app.reconnectHandlers = [];
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', path.startsWith(a.getAttribute('href').slice(1)));
  }
  for (const [pattern, page] of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    clear(app.root);
    const ctx = {
      session: app.session,
      root: app.root,
      navigate: (to) => { location.hash = '#' + to; },
      onReconnect: (fn) => app.reconnectHandlers.push(fn),
    };
    app.cleanup = page.render(ctx, ...m.slice(1).map(decodeURIComponent)) || null;
    document.title = t('app.title');
    return;
  }
  clear(app.root, h('p', {}, t('common.notFound')));
}

window.addEventListener('hashchange', route);
const style = document.createElement('style');
style.textContent = css;
document.head.append(style);
setLanguage(language());
showLogin();
