#include "connection.h"

#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "errors.h"

namespace ota::ctrl {
namespace {

// What SIGALRM prints if a blocking connect (DNS, TCP, TLS handshake)
// outlives the timeout: libmosquitto's connect cannot be interrupted
// otherwise. Set before alarm(), read only by the handler.
char g_alarm_message[512];

void on_alarm(int) {
  const ssize_t ignored = write(STDERR_FILENO, g_alarm_message, strlen(g_alarm_message));
  (void)ignored;
  _exit(kExitConnection);
}

struct LibInit {
  LibInit() { mosquitto_lib_init(); }
  ~LibInit() { mosquitto_lib_cleanup(); }
};

std::string hex_code(int code) {
  char buf[8];
  snprintf(buf, sizeof buf, "0x%02x", code);
  return buf;
}

}  // namespace

std::optional<std::string> prompt_password(const std::string& prompt) {
  const int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct termios old {};
  if (tcgetattr(fd, &old) != 0) {
    close(fd);
    return std::nullopt;
  }
  struct termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(fd, TCSAFLUSH, &quiet);
  ssize_t ignored = write(fd, prompt.data(), prompt.size());
  std::string password;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r') password += c;
  tcsetattr(fd, TCSAFLUSH, &old);
  ignored = write(fd, "\n", 1);
  (void)ignored;
  close(fd);
  return password;
}

MqttConnection::MqttConnection(const ConnectionOptions& options) : options_(options) {
  static LibInit init;
  if (options_.client_id.empty()) {
    options_.client_id = "mosquitto_ota_ctrl-" + std::to_string(getpid());
  }
  mosq_ = mosquitto_new(options_.client_id.c_str(), true, this);
  if (!mosq_) throw ConnectionError("cannot create an MQTT client (out of memory?)");
}

MqttConnection::~MqttConnection() {
  if (mosq_) mosquitto_destroy(mosq_);
}

void MqttConnection::configure() {
  const int version = options_.protocol_version == 5     ? MQTT_PROTOCOL_V5
                      : options_.protocol_version == 311 ? MQTT_PROTOCOL_V311
                                                         : MQTT_PROTOCOL_V31;
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, version);
  mosquitto_connect_v5_callback_set(mosq_, on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, on_disconnect);
  mosquitto_subscribe_v5_callback_set(mosq_, on_subscribe);
  mosquitto_publish_v5_callback_set(mosq_, on_publish);
  mosquitto_message_v5_callback_set(mosq_, on_message);

  if ((options_.username || options_.password) &&
      mosquitto_username_pw_set(mosq_, options_.username ? options_.username->c_str() : nullptr,
                                options_.password ? options_.password->c_str() : nullptr) !=
          MOSQ_ERR_SUCCESS) {
    throw ConnectionError("cannot set the username and password");
  }
  if (options_.tls()) {
    if (options_.tls_use_os_certs) {
      mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    }
    if (!options_.cafile.empty() || !options_.capath.empty()) {
      const int rc = mosquitto_tls_set(
          mosq_, options_.cafile.empty() ? nullptr : options_.cafile.c_str(),
          options_.capath.empty() ? nullptr : options_.capath.c_str(),
          options_.certfile.empty() ? nullptr : options_.certfile.c_str(),
          options_.keyfile.empty() ? nullptr : options_.keyfile.c_str(), nullptr);
      if (rc != MOSQ_ERR_SUCCESS) {
        throw ConnectionError(std::string("TLS setup failed: ") +
                              (rc == MOSQ_ERR_INVAL ? "a --cafile, --capath, --cert or --key file "
                                                      "cannot be read"
                                                    : mosquitto_strerror(rc)));
      }
    }
    if (!options_.tls_version.empty() &&
        mosquitto_tls_opts_set(mosq_, 1, options_.tls_version.c_str(), nullptr) !=
            MOSQ_ERR_SUCCESS) {
      throw ConnectionError("TLS setup failed: bad --tls-version " + options_.tls_version);
    }
    if (options_.insecure) mosquitto_tls_insecure_set(mosq_, true);
  }
}

void MqttConnection::connect() {
  configure();
  const std::string where = options_.address();
  snprintf(g_alarm_message, sizeof g_alarm_message,
           "mosquitto_ota_ctrl: cannot connect to %s: no answer within %llds (--timeout)\n",
           where.c_str(), static_cast<long long>(options_.timeout_s));
  struct sigaction sa {};
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, nullptr);
  alarm(static_cast<unsigned>(options_.timeout_s));
  errno = 0;
  const int rc = mosquitto_connect_bind_v5(mosq_, options_.host.c_str(), options_.effective_port(),
                                           60, nullptr, nullptr);
  const int saved_errno = errno;
  alarm(0);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::string why;
    if (rc == MOSQ_ERR_ERRNO) {
      why = strerror(saved_errno);
      if (saved_errno == ECONNREFUSED) why += " (is mosquitto running and listening there?)";
    } else if (rc == MOSQ_ERR_EAI) {
      why = "cannot resolve host '" + options_.host + "'";
    } else if (rc == MOSQ_ERR_TLS) {
      why = "TLS handshake failed (check --cafile/--capath, --cert/--key, --tls-version)";
    } else {
      why = mosquitto_strerror(rc);
    }
    throw ConnectionError("cannot connect to " + where + ": " + why);
  }
  const bool answered = run_until([&] { return connack_.has_value(); }, deadline());
  if (!answered) {
    throw ConnectionError("cannot connect to " + where + ": no CONNACK within " +
                          std::to_string(options_.timeout_s) + "s (--timeout)");
  }
  if (*connack_ != 0) {
    const int code = *connack_;
    std::string why = options_.protocol_version == 5 ? mosquitto_reason_string(code)
                                                     : mosquitto_connack_string(code);
    std::string hint;
    const bool credentials = options_.protocol_version == 5
                                 ? (code == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
                                    code == MQTT_RC_NOT_AUTHORIZED)
                                 : (code == 4 || code == 5);
    if (credentials) {
      hint = options_.username ? ": check the username and password (-u, -P)"
                               : ": this broker needs a username and password (-u, -P)";
    }
    const std::string message = "the broker at " + where + " refused the connection: " + why +
                                " (CONNACK code " + hex_code(code) + ")" + hint;
    if (credentials) throw CredentialsRefused(message);
    throw ConnectionError(message);
  }
  connected_ = true;
}

bool MqttConnection::subscribe(const std::string& topic) {
  int mid = 0;
  suback_granted_.reset();
  const int rc = mosquitto_subscribe_v5(mosq_, &mid, topic.c_str(), options_.qos, 0, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) lost(rc);
  suback_mid_ = mid;
  if (!run_until([&] { return suback_granted_.has_value(); }, deadline())) {
    throw ConnectionError("no SUBACK from the broker at " + options_.address() + " within " +
                          std::to_string(options_.timeout_s) + "s (--timeout)");
  }
  return *suback_granted_ < 0x80;
}

void MqttConnection::publish(const std::string& topic, const std::string& payload) {
  const int rc = mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                      payload.data(), options_.qos, false, nullptr);
  if (rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_OVERSIZE_PACKET) {
    throw ConnectionError("the request is too large for the broker (" +
                          std::to_string(payload.size()) + " bytes)");
  }
  if (rc != MOSQ_ERR_SUCCESS) lost(rc);
}

bool MqttConnection::run_until(const std::function<bool()>& done, Clock::time_point deadline) {
  while (!done()) {
    if (disconnect_rc_ && connected_) lost(*disconnect_rc_);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    const int rc = mosquitto_loop(mosq_, static_cast<int>(std::min<long long>(left, 100)), 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      if (!connected_ && connack_) return true;  // refused: the broker closed after CONNACK
      if (!connected_ && !connack_) {
        throw ConnectionError("cannot connect to " + options_.address() + ": " +
                              (rc == MOSQ_ERR_ERRNO ? std::string(strerror(errno))
                                                    : std::string(mosquitto_strerror(rc))) +
                              " (before the broker accepted the connection" +
                              (options_.tls() ? std::string(")")
                                              : std::string("; if this port uses TLS, give "
                                                            "--cafile or --capath)")));
      }
      lost(rc);
    }
  }
  return true;
}

void MqttConnection::lost(int rc) {
  std::string why = rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
  if (disconnect_rc_ && *disconnect_rc_ >= 0x80 && options_.protocol_version == 5) {
    why = mosquitto_reason_string(*disconnect_rc_);
  }
  throw ConnectionError("lost the connection to " + options_.address() + ": " + why);
}

void MqttConnection::disconnect() {
  if (!connected_) return;
  connected_ = false;
  mosquitto_disconnect_v5(mosq_, 0, nullptr);
  mosquitto_loop(mosq_, 10, 1);
}

void MqttConnection::on_connect(struct mosquitto*, void* self, int rc, int,
                                const mosquitto_property*) {
  static_cast<MqttConnection*>(self)->connack_ = rc;
}

void MqttConnection::on_disconnect(struct mosquitto*, void* self, int rc,
                                   const mosquitto_property*) {
  static_cast<MqttConnection*>(self)->disconnect_rc_ = rc;
}

void MqttConnection::on_subscribe(struct mosquitto*, void* self, int mid, int count,
                                  const int* granted, const mosquitto_property*) {
  auto* c = static_cast<MqttConnection*>(self);
  if (mid == c->suback_mid_) c->suback_granted_ = count > 0 ? granted[0] : 0x80;
}

void MqttConnection::on_publish(struct mosquitto*, void* self, int, int reason,
                                const mosquitto_property*) {
  if (reason >= 0x80) static_cast<MqttConnection*>(self)->publish_refused_ = reason;
}

void MqttConnection::on_message(struct mosquitto*, void* self, const struct mosquitto_message* m,
                                const mosquitto_property*) {
  auto* c = static_cast<MqttConnection*>(self);
  c->messages_.push_back(
      {m->topic ? m->topic : "",
       std::string(static_cast<const char*>(m->payload), static_cast<size_t>(m->payloadlen))});
}

}  // namespace ota::ctrl
