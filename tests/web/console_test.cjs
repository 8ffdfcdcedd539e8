// Browser test of the web console: a real mosquitto with the OTA plugin
// serving the console's build on a websockets listener (http_dir), 50
// simulated aliyun devices, and Debian's chromium, headless, driven by
// playwright-core. Each step checks what the page shows against the
// broker's own answers (getJob, $SYS), and a screenshot of each page is
// saved into OTA_SCREENSHOT_DIR.
//
// Environment: OTA_PLUGIN_PATH, OTA_WEBUI_DIR (the built console),
// OTA_SCREENSHOT_DIR, NODE_PATH (the console's node_modules),
// OTA_CHROMIUM (default /usr/bin/chromium).
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { Broker, sleep } = require('./broker.cjs');
const { startDevices } = require('./devices.cjs');
const { Admin } = require('./admin.cjs');

const PRODUCT = 'pk1';
const DEVICE_COUNT = 50;
const FAILING = new Set(['dev-07', 'dev-33']);
const shots = process.env.OTA_SCREENSHOT_DIR || path.join(process.cwd(), 'web-screenshots');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

// Polls fn() until it returns a truthy value; fails with `what` after ms.
async function until(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// Samples the upload progress bar's [value, max] every 5 ms in the page.
function recordUploadProgress(page) {
  return page.evaluate(() => {
    const bar = document.querySelector('#upload-progress');
    window.progressSeen = [];
    window.progressTimer = setInterval(() => window.progressSeen.push([bar.value, bar.max]), 5);
  });
}

function stopRecordingUploadProgress(page) {
  return page.evaluate(() => {
    clearInterval(window.progressTimer);
    return window.progressSeen;
  });
}

const number = (text) => Number(String(text).replace(/[^0-9.-]/g, ''));

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  fs.rmSync(path.join(shots, 'failure.png'), { force: true });
  const broker = new Broker({
    plugin: env('OTA_PLUGIN_PATH'),
    webui: env('OTA_WEBUI_DIR'),
    users: { admin: 'admin-secret', viewer: 'viewer-secret' },
  });
  let browser, devices = [], admin, page;
  const steps = [];
  const step = (name, fn) => steps.push([name, fn]);
  const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
  const ctx = {};

  step('the broker serves the console on its websockets listener', async () => {
    await broker.start();
    const res = await fetch(broker.consoleUrl);
    assert.equal(res.status, 200);
    // mosquitto 2.0.11 sends no Content-Type: the page must not depend on one.
    assert.match(await res.text(), /<script src="console.js"><\/script>/);
    admin = new Admin(broker.port, 'admin', 'admin-secret');
    await admin.connect();
  });

  step(`${DEVICE_COUNT} simulated devices report version 1.0.0`, async () => {
    const names = Array.from({ length: DEVICE_COUNT }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
    devices = await startDevices(broker.port, PRODUCT, names, '1.0.0', { failing: FAILING, stepDelayMs: 150 });
    await until('devices in $SYS', () => admin.sys.get('devices/total') === DEVICE_COUNT &&
      admin.sys.get('devices/online') === DEVICE_COUNT);
  });

  step('a wrong password is refused, and the page says why', async () => {
    browser = await chromium.launch({
      executablePath: process.env.OTA_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page.on('pageerror', (e) => { ctx.pageErrors = (ctx.pageErrors || []).concat(String(e)); });
    await page.goto(broker.consoleUrl);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', 'wrong');
    await page.click('#login-submit');
    await page.waitForFunction(() => /refused/.test(document.querySelector('#login-error').textContent));
    assert.match(await page.textContent('#login-error'), /wrong username or password/);
    assert.equal(await page.inputValue('#login-password'), '', 'the refused password is cleared');
    await shot('login');
  });

  step('a user who is not an OTA admin is refused, and told so', async () => {
    await page.fill('#login-user', 'viewer');
    await page.fill('#login-password', 'viewer-secret');
    await page.click('#login-submit');
    await page.waitForFunction(() => /not an OTA admin/.test(document.querySelector('#login-error').textContent));
  });

  step('the admin logs in; the password is kept nowhere but in memory', async () => {
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', 'admin-secret');
    await page.click('#login-submit');
    await page.waitForSelector('#page h2');
    assert.equal(await page.textContent('#current-user'), 'admin');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.doesNotMatch(stored, /admin-secret/);
    assert.equal(await page.$('#login-password'), null);
    ctx.bannerStates = [];
    await page.exposeFunction('bannerState', (state) => ctx.bannerStates.push(state));
    await page.evaluate(() => new MutationObserver(() =>
      window.bannerState(document.querySelector('#connection-banner').dataset.state))
      .observe(document.querySelector('#connection-banner'), { attributes: true, attributeFilter: ['data-state'] }));
    page.on('dialog', (d) => d.accept());
  });

  step('the overview shows the same figures as $SYS', async () => {
    await page.waitForSelector('#sys-devices-total');
    // The refused viewer is counted at the next $SYS refresh.
    await until('the refusal in $SYS', () => admin.sys.get('control/refused') >= 1);
    for (const key of ['devices/total', 'devices/online', 'messages/received', 'messages/rejected',
      'notifications/sent', 'control/refused', 'tasks/SUCCEEDED']) {
      const id = '#sys-' + key.replace('/', '-');
      await until(`${key} on the overview equal to $SYS`, async () =>
        admin.sys.has(key) && number(await page.textContent(id)) === admin.sys.get(key));
    }
    assert.equal(number(await page.textContent('#sys-devices-total')), DEVICE_COUNT);
    await until('two rate samples', async () =>
      JSON.parse(await page.getAttribute('#rate-chart', 'data-series')).labels.length >= 2);
    await shot('overview');
  });

  step('a firmware upload moves the progress bar and creates a stored package', async () => {
    await page.click('#nav-packages');
    await page.waitForSelector('#packages-table');
    // Random firmware of 4 MiB: four 1 MiB chunks.
    ctx.firmware = crypto.randomBytes(4 * 1024 * 1024);
    ctx.sha256 = crypto.createHash('sha256').update(ctx.firmware).digest('hex');
    await page.setInputFiles('#upload-file', { name: 'fw-2.0.0.bin', mimeType: 'application/octet-stream', buffer: ctx.firmware });
    await page.fill('#up-product', PRODUCT);
    await page.fill('#up-version', '2.0.0');
    await page.fill('#up-description', 'web test firmware');
    await recordUploadProgress(page);
    await page.click('#upload-submit');
    await page.waitForFunction(() => /Package \d+ \(2\.0\.0\) created/.test(document.querySelector('#package-message').textContent), null, { timeout: 60000 });
    const seen = await stopRecordingUploadProgress(page);
    const size = ctx.firmware.length;
    const between = new Set(seen.filter(([v, max]) => max === size && v > 0 && v < size).map(([v]) => v));
    assert.ok(between.size >= 3, `the bar moved through several values: ${[...between].join(',')}`);
    const { packages } = await admin.request('listPackages', { product: PRODUCT });
    assert.equal(packages.length, 1);
    ctx.package = packages[0];
    assert.equal(ctx.package.sha256, ctx.sha256);
    assert.equal(ctx.package.md5, crypto.createHash('md5').update(ctx.firmware).digest('hex'));
    assert.equal(ctx.package.size, size);
    assert.equal(ctx.package.stored, true);
    await page.waitForSelector(`#packages-table tr[data-package="${ctx.package.id}"]`);
  });

  step('an external-URL package with a bad sign shows the API error at its field', async () => {
    await page.fill('#url-url', 'https://firmware.example/fw-9.bin');
    await page.fill('#url-size', '1000');
    await page.fill('#url-sign', 'not-hex');
    await page.fill('#url-product', PRODUCT);
    await page.fill('#url-version', '9.0.0');
    await page.click('#url-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#url-form #field-error-sign').textContent !== '');
    assert.match(await page.textContent('#url-form #field-error-sign'), /sign must be/);
    const { packages } = await admin.request('listPackages', { product: PRODUCT });
    assert.equal(packages.length, 1, 'nothing was created');
    await shot('packages');
  });

  step('an invalid job form shows the API validation error at the field', async () => {
    await page.click(`#packages-table tr[data-package="${ctx.package.id}"] .new-job`);
    await page.waitForSelector('#job-form');
    assert.equal(await page.inputValue('#job-packageId'), String(ctx.package.id));
    await page.check('#job-all');
    await page.fill('#job-timeoutSeconds', '0');
    await page.click('#job-submit');
    await page.waitForFunction(() => document.querySelector('#field-error-timeoutSeconds').textContent !== '');
    assert.match(await page.textContent('#field-error-timeoutSeconds'), /field 'timeoutSeconds' must be from 1 to/);
    assert.ok(await page.$eval('[data-field="timeoutSeconds"]', (e) => e.classList.contains('invalid')));
    const { jobs } = await admin.request('listJobs', {});
    assert.equal(jobs.length, 0, 'no job was created');
    await page.locator('[data-field="timeoutSeconds"]').scrollIntoViewIfNeeded();
    await shot('job-form-error');
  });

  step(`a staged job for all ${DEVICE_COUNT} devices starts, pauses and resumes`, async () => {
    // A second tab watches the overview through the campaign (its rate
    // chart is the README's screenshot).
    ctx.watcher = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    ctx.watcher.on('pageerror', (e) => { ctx.pageErrors = (ctx.pageErrors || []).concat(String(e)); });
    await ctx.watcher.goto(broker.consoleUrl);
    await ctx.watcher.fill('#login-user', 'admin');
    await ctx.watcher.fill('#login-password', 'admin-secret');
    await ctx.watcher.click('#login-submit');
    await ctx.watcher.waitForSelector('#sys-devices-total');
    await page.fill('#job-timeoutSeconds', '600');
    await page.fill('#job-groups', '20%, 80%');
    await page.fill('#job-ratePerMinute', '300');
    await page.fill('#job-failureThreshold', '10');
    await page.click('#job-submit');
    await page.waitForSelector('#job-state');
    ctx.jobId = Number(/#\/jobs\/(\d+)/.exec(page.url())[1]);
    const { job } = await admin.request('getJob', { jobId: ctx.jobId });
    assert.equal(job.taskCount, DEVICE_COUNT);
    assert.deepEqual(job.groupSizes, [10, 40]);
    assert.equal(job.ratePerMinute, 300);
    assert.equal(job.timeoutSeconds, 600);
    assert.deepEqual(job.failureThreshold, { count: 10 });
    await page.click('#job-pause');
    await until('paused', async () => (await admin.request('getJob', { jobId: ctx.jobId })).job.state === 'paused');
    await page.waitForSelector('#job-state[data-state="paused"]');
    // Paused: no more pushes; the queued tasks stay queued.
    const queued = (await admin.request('getJob', { jobId: ctx.jobId })).job.counts.QUEUED;
    assert.ok(queued > 0, 'tasks were still queued when paused');
    await sleep(1500);
    assert.equal((await admin.request('getJob', { jobId: ctx.jobId })).job.counts.QUEUED, queued);
    await shot('job-paused');
    await page.click('#job-resume');
    await page.waitForSelector('#job-state[data-state="running"]');
  });

  step('the job completes; the page shows the same figures as getJob', async () => {
    const job = await until('job completed', async () => {
      const { job: j } = await admin.request('getJob', { jobId: ctx.jobId });
      return j.state === 'completed' && j;
    }, 90000);
    assert.equal(job.counts.SUCCEEDED, DEVICE_COUNT - FAILING.size);
    assert.equal(job.counts.FAILED, FAILING.size);
    assert.deepEqual(job.failureReasons, { 'download failed': FAILING.size });
    await page.waitForSelector('#job-state[data-state="completed"]');
    for (const [state, n] of Object.entries(job.counts)) {
      await until(`${state} count on the page`, async () => number(await page.textContent('#job-count-' + state)) === n);
    }
    assert.equal(number(await page.textContent('#reasons-table tr[data-reason="download failed"] td:last-child')), FAILING.size);
    for (const g of [0, 1]) {
      assert.match(await page.textContent(`#groups-table tr[data-group="${g}"]`), new RegExp(`${job.groupSizes[g]} / ${job.groupSizes[g]}`));
    }
    const series = await until('progress chart', async () => {
      const s = JSON.parse(await page.getAttribute('#job-progress-chart', 'data-series'));
      return s.datasets[0].data.at(-1) === job.counts.SUCCEEDED && s;
    });
    assert.ok(series.labels.length >= 3, 'progress over time has several samples');
    assert.ok(series.datasets[0].data[0] < job.counts.SUCCEEDED, 'and it rose');
    const pie = JSON.parse(await page.getAttribute('#job-state-chart', 'data-series'));
    assert.deepEqual(pie.datasets[0].data, ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'].map((s) => job.counts[s]));
    await page.selectOption('#task-state-filter', 'FAILED');
    await until('failed devices listed', async () =>
      (await page.$$eval('#tasks-table tbody tr[data-device]', (rows) => rows.map((r) => r.dataset.device)).then((d) => d.join(','))) === [...FAILING].join(','));
    await shot('job');
  });

  step('retrying one failed device notifies it again', async () => {
    const before = (await admin.request('getDevice', { product: PRODUCT, device: 'dev-07' })).device.tasks.at(-1).notifyCount;
    await page.click('#tasks-table tr[data-device="dev-07"] .retry');
    await until('dev-07 notified again', async () =>
      (await admin.request('getDevice', { product: PRODUCT, device: 'dev-07' })).device.tasks.at(-1).notifyCount > before);
    await until('dev-07 failed again', async () =>
      (await admin.request('getDevice', { product: PRODUCT, device: 'dev-07' })).device.tasks.at(-1).state === 'FAILED');
  });

  step('the jobs list shows the job with its progress bar', async () => {
    await page.click('#nav-jobs');
    const row = `#jobs-table tr[data-job="${ctx.jobId}"]`;
    await page.waitForSelector(row);
    assert.match(await page.textContent(row + ' .done-count'), new RegExp(`^${DEVICE_COUNT} / ${DEVICE_COUNT}$`));
    await shot('jobs');
  });

  step('the products page charts the version distribution and compliance as getStatistics', async () => {
    await page.click('#nav-products');
    await page.waitForSelector(`#products-table tr[data-product="${PRODUCT}"]`);
    await page.waitForSelector('#compliance-onTarget');
    const { statistics } = await admin.request('getStatistics', { product: PRODUCT });
    const series = JSON.parse(await page.getAttribute('#version-chart', 'data-series'));
    const drawn = Object.fromEntries(series.labels.map((l, i) => [l, series.datasets[0].data[i]]));
    assert.deepEqual(drawn, statistics.versions);
    assert.deepEqual(statistics.versions, { '1.0.0': FAILING.size, '2.0.0': DEVICE_COUNT - FAILING.size });
    for (const k of ['onTarget', 'inProgress', 'failed', 'needsUpdate']) {
      assert.equal(number(await page.textContent('#compliance-' + k)), statistics.compliance[k], k);
    }
    assert.equal(statistics.compliance.onTarget, DEVICE_COUNT - FAILING.size);
    assert.equal(statistics.compliance.failed, FAILING.size);
    await shot('products');
  });

  step('the devices page filters on the broker; a device shows its history', async () => {
    await page.click('#nav-devices');
    await page.waitForSelector('#devices-table');
    await page.fill('#dev-version', '1.0.0');
    await page.click('#dev-apply');
    await until('the devices still on 1.0.0', async () =>
      (await page.$$eval('#devices-table tbody tr[data-device]', (r) => r.map((x) => x.dataset.device))).join(',') === [...FAILING].join(','));
    await shot('devices');
    await page.fill('#dev-version', '');
    await page.fill('#dev-name', 'dev-3');
    await page.click('#dev-apply');
    await until('the devices named dev-3…', async () =>
      (await page.$$eval('#devices-table tbody tr[data-device]', (r) => r.map((x) => x.dataset.device))).join(',') ===
        Array.from({ length: 10 }, (_, i) => `dev-3${i}`).join(','));
    await page.click('#devices-table tr[data-device="dev-33"] a');
    await page.waitForSelector('#device-detail .timeline li.FAILED');
    const { device } = await admin.request('getDevice', { product: PRODUCT, device: 'dev-33' });
    assert.equal(await page.$$eval('#device-detail .timeline li', (l) => l.length), device.tasks[0].history.length);
    assert.equal(await page.textContent('#modules-table tr[data-module="default"] td:nth-child(2)'), '1.0.0');
    await shot('device');
  });

  step('app bindings: add, refuse a bad name at its field, remove', async () => {
    await page.click('#nav-bindings');
    await page.waitForSelector('#bindings-table');
    await page.fill('#bind-user', 'alice');
    await page.fill('#bind-product', PRODUCT);
    await page.fill('#bind-device', 'dev-01');
    await page.click('#bind-submit');
    await page.waitForSelector('#bindings-table tr[data-binding="alice/pk1/dev-01"]');
    assert.deepEqual((await admin.request('listBindings', { user: 'alice' })).bindings, [{ user: 'alice', product: PRODUCT, device: 'dev-01' }]);
    await page.fill('#bind-user', 'a/b');
    await page.fill('#bind-device', 'dev-02');
    await page.click('#bind-submit');
    await page.waitForFunction(() => document.querySelector('#binding-form #field-error-user').textContent !== '');
    assert.match(await page.textContent('#binding-form #field-error-user'), /must not contain/);
    await shot('bindings');
    await page.click('#bindings-table tr[data-binding="alice/pk1/dev-01"] .remove');
    await page.waitForSelector('#bindings-table tr[data-binding="alice/pk1/dev-01"]', { state: 'detached' });
    assert.deepEqual((await admin.request('listBindings', { user: 'alice' })).bindings, []);
  });

  step('a job that needs confirmation: confirm one device, cancel the other', async () => {
    await page.click('#nav-jobs');
    await page.waitForSelector('#job-form');
    await page.fill('#job-packageId', String(ctx.package.id));
    await page.fill('#job-devices', [...FAILING].join(' '));
    await page.check('#job-needConfirm');
    await page.click('#job-submit');
    await page.waitForSelector('#job-state');
    const jobId = Number(/#\/jobs\/(\d+)/.exec(page.url())[1]);
    assert.notEqual(jobId, ctx.jobId);
    await page.waitForSelector('#tasks-table tr[data-device="dev-33"][data-state="CONFIRM"]');
    assert.equal((await admin.request('getJob', { jobId })).job.counts.CONFIRM, FAILING.size);
    await page.click('#tasks-table tr[data-device="dev-33"] .confirm');
    await page.click('#tasks-table tr[data-device="dev-07"] .cancel');
    const job = await until('the confirmed device ran, the other was canceled', async () => {
      const { job: j } = await admin.request('getJob', { jobId });
      return j.state === 'completed' && j;
    });
    assert.equal(job.counts.CANCELED, 1);
    assert.equal(job.counts.FAILED, 1, 'dev-33 was notified after the confirmation (and fails its download)');
    const dev33 = (await admin.request('getDevice', { product: PRODUCT, device: 'dev-33' })).device.tasks.at(-1);
    assert.equal(dev33.jobId, jobId);
    assert.equal(dev33.notifyCount, 1);
    await page.waitForSelector('#job-state[data-state="completed"]');
    assert.equal(number(await page.textContent('#job-count-CANCELED')), 1);
  });

  step('the overview agrees with $SYS after the campaign, in Chinese too', async () => {
    await page.click('#nav-overview');
    await page.waitForSelector('#sys-tasks-SUCCEEDED');
    for (const key of ['tasks/SUCCEEDED', 'tasks/FAILED', 'notifications/sent', 'downloads/completed', 'downloads/bytes', 'devices/total']) {
      const id = '#sys-' + key.replace('/', '-');
      await until(`${key} on the overview equal to $SYS`, async () => {
        const text = await page.textContent(id);
        const v = admin.sys.get(key);
        return key === 'downloads/bytes' ? text === `${(v / 1048576).toFixed(1)} MiB` : number(text) === v;
      });
    }
    assert.equal(admin.sys.get('tasks/SUCCEEDED'), DEVICE_COUNT - FAILING.size);
    assert.equal(number(await ctx.watcher.textContent('#sys-tasks-SUCCEEDED')), admin.sys.get('tasks/SUCCEEDED'));
    const rates = JSON.parse(await ctx.watcher.getAttribute('#rate-chart', 'data-series'));
    assert.ok(Math.max(...rates.datasets[1].data) > 0, 'the rate chart saw the notifications');
    await ctx.watcher.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });
    await ctx.watcher.close();
    await page.selectOption('nav select.lang', 'zh');
    await page.waitForFunction(() => document.querySelector('#nav-overview').textContent === '概览');
    await sleep(2500);
    await shot('overview-zh');
    await page.selectOption('nav select.lang', 'en');
  });

  step('a hostile device name is shown as text, never run as markup', async () => {
    // Device names come from device topics: anyone who can publish there
    // chooses them.
    const evil = '<img src=x onerror="window.__xss=1">';
    const [dev] = await startDevices(broker.port, 'evil', [evil], '1.0.0', {});
    devices.push(dev);
    await page.click('#nav-devices');
    await page.waitForSelector('#devices-table');
    await page.fill('#dev-product', 'evil');
    await page.fill('#dev-version', '');
    await page.click('#dev-apply');
    const link = page.locator('#devices-table tbody tr[data-device] a');
    await until('the hostile device listed', async () => (await link.count()) === 1);
    assert.equal(await link.textContent(), evil);
    await link.click();
    await page.waitForSelector('#modules-table');
    assert.equal(await page.textContent('#page h2'), `Device ${evil} of evil`);
    assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  step('a broker restart during an upload: the page shows the drop, reconnects, and the upload resumes', async () => {
    await page.click('#nav-packages');
    await page.waitForSelector('#packages-table');
    const firmware = crypto.randomBytes(6 * 1024 * 1024);
    await page.setInputFiles('#upload-file', { name: 'fw-2.1.0.bin', mimeType: 'application/octet-stream', buffer: firmware });
    await page.fill('#up-product', PRODUCT);
    await page.fill('#up-version', '2.1.0');
    await recordUploadProgress(page);
    await page.click('#upload-submit');
    const size = firmware.length;
    await page.waitForFunction((n) => {
      const bar = document.querySelector('#upload-progress');
      return bar.max === n && bar.value > n / 4;
    }, size, { timeout: 60000 });
    const mark = await page.evaluate(() => window.progressSeen.length);
    await broker.restart();
    await page.waitForSelector('#connection-banner[data-state="connected"]', { timeout: 30000 });
    assert.ok(ctx.bannerStates.some((st) => st === 'reconnecting' || st === 'disconnected'),
      `the page showed the drop: ${ctx.bannerStates.join(',')}`);
    await page.waitForFunction(() => /Package \d+ \(2\.1\.0\) created/.test(document.querySelector('#package-message').textContent), null, { timeout: 60000 });
    const seen = await stopRecordingUploadProgress(page);
    const before = seen[mark - 1][0];
    const after = seen.slice(mark).filter(([, max]) => max === size).map(([v]) => v);
    assert.ok(before > size / 4 && before < size, `mid-upload at the restart: ${before}`);
    assert.ok(Math.min(...after) >= before, `resumed from ${Math.min(...after)}, not from the start (had ${before})`);
    const { packages } = await admin.request('listPackages', { product: PRODUCT });
    const p = packages.find((x) => x.version === '2.1.0');
    assert.equal(p.sha256, crypto.createHash('sha256').update(firmware).digest('hex'));
    assert.equal(p.size, size);
    // The jobs survived the restart, and the list shows them again.
    await page.click('#nav-jobs');
    await page.waitForSelector(`#jobs-table tr[data-job="${ctx.jobId}"]`);
  });

  let failed = false;
  const started = Date.now();
  try {
    for (const [name, fn] of steps) {
      const t0 = Date.now();
      await fn();
      console.log(`ok - ${name} (${Date.now() - t0} ms)`);
    }
    assert.deepEqual(ctx.pageErrors || [], [], 'no JavaScript errors on the page');
    for (const d of devices) assert.deepEqual(d.errors, [], `device ${d.name} saw no protocol error`);
  } catch (e) {
    failed = true;
    console.error('FAILED:', e.stack || e);
    if (page) await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error('--- broker output (tail) ---\n' + broker.output());
  } finally {
    if (browser) await browser.close().catch(() => {});
    await Promise.all(devices.map((d) => d.close()));
    if (admin) await admin.close().catch(() => {});
    await broker.stop();
  }
  console.log(`${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots}`);
  process.exit(failed ? 1 : 0);
}

main();
