// Simulated devices speaking the aliyun dialect (seed 000/001) as the
// Alibaba SDKs do: connect as "{pk}.{dn}", subscribe to their upgrade
// topic, report their version; on a notification they download the URL
// over HTTP, check its size and MD5, report progress, "flash", and report
// the new version. Devices named in `failing` report download failure -2.
'use strict';
const crypto = require('node:crypto');
const mqtt = require('mqtt');

class Device {
  constructor(port, product, name, version, options = {}) {
    this.port = port;
    this.product = product;
    this.name = name;
    this.version = version;
    this.options = options;
    this.notifications = [];
    this.errors = [];
    this.msgId = 1;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.client = mqtt.connect(`mqtt://127.0.0.1:${this.port}`, {
        clientId: `${this.product}.${this.name}`, clean: true, reconnectPeriod: 500, protocolVersion: 4,
      });
      this.client.once('error', reject);
      this.client.once('connect', () => {
        this.client.subscribe(`/ota/device/upgrade/${this.product}/${this.name}`, { qos: 1 }, (err) => {
          if (err) return reject(err);
          this.client.on('message', (topic, payload) => this.onUpgrade(payload.toString()));
          this.inform().then(resolve, reject);
        });
      });
    });
  }

  publish(kind, params) {
    const body = JSON.stringify({ id: String(this.msgId++), params });
    return this.client.publishAsync(`/ota/device/${kind}/${this.product}/${this.name}`, body, { qos: 1 });
  }

  inform() {
    return this.publish('inform', { version: this.version });
  }

  async onUpgrade(text) {
    let n;
    try {
      n = JSON.parse(text);
    } catch (e) {
      this.errors.push('unparsable notification ' + text);
      return;
    }
    this.notifications.push(n);
    if (this.busy) return;  // a repeated notification while upgrading
    this.busy = true;
    try {
      const { data } = n;
      if (n.code !== '200' || !data || !data.url || !data.version) throw new Error('bad notification ' + text);
      const delay = this.options.stepDelayMs || 0;
      await this.publish('progress', { step: '1', desc: 'downloading' });
      if ((this.options.failing || new Set()).has(this.name)) {
        await sleep(delay);
        await this.publish('progress', { step: '-2', desc: 'download failed' });
        return;
      }
      const res = await fetch(data.url);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`download ${data.url}: HTTP ${res.status}`);
      if (body.length !== data.size) throw new Error(`download size ${body.length} != ${data.size}`);
      const md5 = crypto.createHash('md5').update(body).digest('hex');
      if (md5 !== data.md5) throw new Error(`md5 ${md5} != ${data.md5}`);
      await sleep(delay);
      await this.publish('progress', { step: '50', desc: 'downloaded, verifying' });
      await sleep(delay);
      await this.publish('progress', { step: '100', desc: 'flashing' });
      await sleep(delay);
      this.version = data.version;
      await this.inform();
    } catch (e) {
      this.errors.push(String(e.message || e));
    } finally {
      this.busy = false;
    }
  }

  close() {
    return new Promise((resolve) => (this.client ? this.client.end(true, {}, resolve) : resolve()));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startDevices(port, product, names, version, options) {
  const devices = names.map((n) => new Device(port, product, n, version, options));
  await Promise.all(devices.map((d) => d.connect()));
  return devices;
}

module.exports = { Device, startDevices };
