// A real mosquitto with the OTA plugin for the browser tests, started as
// tests/integration/broker_process.cc does: a fresh directory under /tmp,
// free loopback ports, and a wait for the broker's "running" log line.
// Besides the device listener it opens a websockets listener that serves
// the console (http_dir) and the plugin's firmware download server.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

// n distinct free loopback ports: all are held open together while they
// are picked, so the kernel cannot hand out the same one twice.
async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function mosquittoBinary() {
  if (process.env.OTA_MOSQUITTO_BIN) return process.env.OTA_MOSQUITTO_BIN;
  for (const p of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (fs.existsSync(p)) return p;
  }
  return 'mosquitto';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Broker {
  // users: {name: password} written to a mosquitto password file; clients
  // without a username stay anonymous (the simulated devices).
  constructor({ plugin, webui, users }) {
    this.plugin = plugin;
    this.webui = webui;
    this.users = users;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-web-'));
  }

  // Before the first successful start, ports taken by another process in
  // the meantime are replaced by new free ones (as broker_process.cc does).
  async start() {
    fs.mkdirSync(path.join(this.dir, 'db'));
    fs.mkdirSync(path.join(this.dir, 'firmware'));
    for (let attempt = 1; ; attempt++) {
      [this.port, this.wsPort, this.httpPort] = await freePorts(3);
      this.writeConfig();
      try {
        await this.spawn();
        return;
      } catch (e) {
        if (attempt >= 3 || !/Address already in use|Unable to create|cannot listen|bind/i.test(this.output())) throw e;
      }
    }
  }

  writeConfig() {
    const passwd = path.join(this.dir, 'passwd');
    fs.writeFileSync(passwd, '');
    for (const [user, password] of Object.entries(this.users)) {
      execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
    }
    this.log = path.join(this.dir, 'mosquitto.log');
    const conf = [
      'per_listener_settings false',
      'allow_anonymous true',
      `password_file ${passwd}`,
      process.getuid && process.getuid() === 0 ? 'user root' : '',
      'set_tcp_nodelay true',
      `log_dest file ${this.log}`,
      'log_type all',
      `plugin ${this.plugin}`,
      `plugin_opt_db_path ${this.dir}/db`,
      'plugin_opt_admins admin',
      'plugin_opt_sys_interval 1',
      'plugin_opt_acl_default allow',
      `plugin_opt_firmware_dir ${this.dir}/firmware`,
      `plugin_opt_http_listen 127.0.0.1:${this.httpPort}`,
      `plugin_opt_http_public_url http://127.0.0.1:${this.httpPort}`,
      `listener ${this.port} 127.0.0.1`,
      `listener ${this.wsPort} 127.0.0.1`,
      'protocol websockets',
      `http_dir ${this.webui}`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(this.dir, 'mosquitto.conf'), conf);
  }

  // Starts mosquitto and waits for its "running" line (after `logOffset`).
  async spawn() {
    const logOffset = fs.existsSync(this.log) ? fs.statSync(this.log).size : 0;
    const out = fs.openSync(path.join(this.dir, 'stdout.log'), 'a');
    this.proc = spawn(mosquittoBinary(), ['-c', path.join(this.dir, 'mosquitto.conf')],
      { stdio: ['ignore', out, out] });
    this.exited = null;
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`mosquitto exited (${JSON.stringify(this.exited)}):\n${this.output()}`);
      const log = fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8').slice(logOffset) : '';
      if (/mosquitto version .* running/.test(log)) return;
      await sleep(50);
    }
    throw new Error('mosquitto did not start:\n' + this.output());
  }

  output() {
    const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
    return (read(path.join(this.dir, 'stdout.log')) + read(this.log)).slice(-4000);
  }

  get consoleUrl() {
    return `http://127.0.0.1:${this.wsPort}/`;
  }

  async terminate() {
    if (this.proc && !this.exited) {
      this.proc.kill('SIGTERM');
      for (let i = 0; i < 100 && !this.exited; i++) await sleep(50);
      if (!this.exited) this.proc.kill('SIGKILL');
      for (let i = 0; i < 100 && !this.exited; i++) await sleep(50);
    }
  }

  // Stops and starts the broker on the same ports and database.
  async restart() {
    await this.terminate();
    await sleep(500);
    await this.spawn();
  }

  async stop() {
    await this.terminate();
    if (!process.env.OTA_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
    else console.error(`[broker] kept test dir ${this.dir}`);
  }
}

module.exports = { Broker, freePorts, sleep };
