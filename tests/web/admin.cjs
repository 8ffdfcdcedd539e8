// The test's own view of the broker, beside the browser: an admin MQTT
// client that sends $CONTROL/ota/v1 commands and keeps the latest
// $SYS/broker/ota/ values, to compare with what the page shows.
'use strict';
const mqtt = require('mqtt');

class Admin {
  constructor(port, username, password) {
    this.port = port;
    this.username = username;
    this.password = password;
    this.pending = new Map();
    this.sys = new Map();
    this.next = 1;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.client = mqtt.connect(`mqtt://127.0.0.1:${this.port}`, {
        username: this.username, password: this.password, clientId: 'web-test-admin', protocolVersion: 5,
      });
      this.client.once('error', reject);
      this.client.on('message', (topic, payload) => {
        const text = payload.toString();
        if (topic === '$CONTROL/ota/v1/response') {
          for (const r of JSON.parse(text).responses) {
            const p = this.pending.get(r.correlationData);
            if (!p) continue;
            this.pending.delete(r.correlationData);
            if (r.error !== undefined) p.reject(new Error(`${r.command}: ${r.error}`));
            else p.resolve(r.data);
          }
        } else if (topic.startsWith('$SYS/broker/ota/')) {
          const key = topic.slice('$SYS/broker/ota/'.length);
          if (text === '') this.sys.delete(key);
          else this.sys.set(key, Number(text));
        }
      });
      this.client.once('connect', () => {
        this.client.subscribe(['$CONTROL/ota/v1/response', '$SYS/broker/ota/#'], { qos: 1 }, (err) =>
          (err ? reject(err) : resolve()));
      });
    });
  }

  request(command, fields = {}) {
    const correlationData = 't' + this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command}: no reply`)), 15000);
      this.pending.set(correlationData, {
        resolve: (d) => { clearTimeout(timer); resolve(d); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.client.publish('$CONTROL/ota/v1',
        JSON.stringify({ commands: [{ command, correlationData, ...fields }] }), { qos: 1 });
    });
  }

  close() {
    return new Promise((resolve) => this.client.end(true, {}, resolve));
  }
}

module.exports = { Admin };
