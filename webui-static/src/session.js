// One MQTT-over-websockets connection to the broker that serves the page:
// logs in with an OTA admin's username and password (held in this object
// only, never stored), sends $CONTROL/ota/v1 commands and matches their
// replies by correlationData, and passes $SYS/broker/ota/# updates on.
import mqtt from 'mqtt';

export const CONTROL_TOPIC = '$CONTROL/ota/v1';
export const RESPONSE_TOPIC = '$CONTROL/ota/v1/response';
export const SYS_FILTER = '$SYS/broker/ota/#';
const REQUEST_TIMEOUT_MS = 20000;

// Why the broker refused a CONNECT, by MQTT 5 reason code (and the 3.1.1
// return codes 4 and 5).
const REFUSALS = {
  4: 'login.badCredentials',
  5: 'login.notAuthorized',
  134: 'login.badCredentials',
  135: 'login.notAuthorized',
  138: 'login.banned',
  140: 'login.badAuthMethod',
};

export class LoginError extends Error {
  constructor(key, detail) {
    super(detail || key);
    this.key = key;
    this.detail = detail;
  }
}

export class Session {
  constructor(url) {
    this.url = url;
    this.client = null;
    this.pending = new Map();
    this.nextId = 1;
    this.sysListeners = new Set();
    this.stateListeners = new Set();
    this.sys = new Map();
    this.username = '';
  }

  // Resolves once connected and subscribed to the replies; rejects with a
  // LoginError saying why otherwise (bad password, not an admin, no broker).
  login(username, password) {
    this.username = username;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        client.end(true);
        reject(err);
      };
      const client = mqtt.connect(this.url, {
        username,
        password,
        protocolVersion: 5,
        clientId: 'ota-console-' + Math.random().toString(16).slice(2, 10),
        clean: true,
        reconnectPeriod: 2000,
        connectTimeout: 10000,
        resubscribe: true,
      });
      this.client = client;
      client.on('error', (err) => {
        const key = REFUSALS[err && err.code];
        if (!settled) fail(new LoginError(key || 'login.failed', key ? '' : String(err.message || err)));
      });
      client.on('connect', () => {
        if (settled) {
          this.emitState('connected');
          return;
        }
        // Only OTA admins may read the replies: the plugin refuses this
        // subscription to anyone else (SUBACK 0x87 in MQTT 5, 0x80 in 3.1.1).
        client.subscribe(RESPONSE_TOPIC, { qos: 1 }, (err, granted) => {
          const refused = (err && (err.code === 135 || /not authori[sz]ed/i.test(err.message))) ||
            (granted && granted[0] && granted[0].qos >= 128);
          if (refused) return fail(new LoginError('login.notAdmin'));
          if (err) return fail(new LoginError('login.failed', String(err.message || err)));
          client.subscribe(SYS_FILTER, { qos: 0 }, () => {
            settled = true;
            this.emitState('connected');
            resolve();
          });
        });
      });
      client.on('close', () => {
        if (!settled) {
          // A websocket that never opened: no broker at this address.
          if (!client.connected) fail(new LoginError('login.unreachable'));
          return;
        }
        // Replies to commands in flight are lost with the connection.
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new CommandError(p.command, 'connection lost', true));
          this.pending.delete(id);
        }
        this.emitState('disconnected');
      });
      client.on('reconnect', () => {
        if (settled) this.emitState('reconnecting');
      });
      client.on('message', (topic, payload) => this.onMessage(topic, payload));
    });
  }

  logout() {
    if (this.client) this.client.end(true);
    this.client = null;
    for (const p of this.pending.values()) p.reject(new Error('logged out'));
    this.pending.clear();
  }

  onState(listener) {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  emitState(state) {
    for (const l of this.stateListeners) l(state);
  }

  // Calls listener(topicSuffix, value) for every $SYS/broker/ota/ update,
  // at once for every value already known; returns the unsubscribe.
  onSys(listener) {
    this.sysListeners.add(listener);
    for (const [k, v] of this.sys) listener(k, v);
    return () => this.sysListeners.delete(listener);
  }

  onMessage(topic, payload) {
    const text = new TextDecoder().decode(payload);
    if (topic === RESPONSE_TOPIC) {
      let envelope;
      try {
        envelope = JSON.parse(text);
      } catch {
        return;
      }
      for (const r of envelope.responses || []) {
        const p = this.pending.get(r.correlationData);
        if (!p) continue;
        this.pending.delete(r.correlationData);
        clearTimeout(p.timer);
        if (r.error !== undefined) p.reject(new CommandError(r.command, r.error));
        else p.resolve(r.data);
      }
      return;
    }
    const prefix = '$SYS/broker/ota/';
    if (!topic.startsWith(prefix)) return;
    const key = topic.slice(prefix.length);
    if (text === '') this.sys.delete(key);
    else this.sys.set(key, Number(text));
    for (const l of this.sysListeners) l(key, text === '' ? null : Number(text));
  }

  // Sends one command; resolves with its `data`, rejects with a
  // CommandError carrying the API's message.
  request(command, fields = {}) {
    if (!this.client || !this.client.connected) {
      return Promise.reject(new CommandError(command, 'not connected', true));
    }
    const correlationData = 'c' + this.nextId++;
    const body = JSON.stringify({ commands: [{ command, correlationData, ...fields }] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationData);
        reject(new CommandError(command, 'no reply within 20 s', true));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(correlationData, { resolve, reject, timer, command });
      this.client.publish(CONTROL_TOPIC, body, { qos: 1 });
    });
  }
}

export class CommandError extends Error {
  // transient: the connection, not the command, failed (worth retrying).
  constructor(command, message, transient = false) {
    super(message);
    this.command = command;
    this.transient = transient;
  }
  // The request field an API error names ("field 'timeoutSeconds' must
  // be ..."), if any.
  get field() {
    const m = /field '([A-Za-z]+)'/.exec(this.message);
    return m ? m[1] : null;
  }
}
