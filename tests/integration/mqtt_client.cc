#include "mqtt_client.h"

#include <signal.h>

#include <cerrno>

#include <mutex>

namespace ota::test {

namespace {

void lib_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    mosquitto_lib_init();
    // A write to a socket the broker closed (kill -9 tests) must fail with
    // EPIPE, not kill the test process.
    ::signal(SIGPIPE, SIG_IGN);
  });
}

}  // namespace

bool topic_matches(const std::string& filter, const std::string& topic) {
  bool result = false;
  if (mosquitto_topic_matches_sub(filter.c_str(), topic.c_str(), &result) != MOSQ_ERR_SUCCESS) {
    return false;
  }
  return result;
}

MqttClient::MqttClient() { lib_init_once(); }

MqttClient::~MqttClient() { shutdown(); }

void MqttClient::on_connect(struct mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  c->connack_ = rc;
  c->connected_ = rc == 0;
  c->cv_.notify_all();
}

void MqttClient::on_disconnect(struct mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  c->connected_ = false;
  c->disconnect_rc_ = rc;
  c->cv_.notify_all();
}

void MqttClient::on_message(struct mosquitto*, void* self, const struct mosquitto_message* m) {
  auto* c = static_cast<MqttClient*>(self);
  Message msg;
  msg.topic = m->topic ? m->topic : "";
  if (m->payload && m->payloadlen > 0) {
    msg.payload.assign(static_cast<const char*>(m->payload), static_cast<size_t>(m->payloadlen));
  }
  msg.qos = m->qos;
  msg.retain = m->retain;
  std::lock_guard lock(c->mu_);
  c->messages_.push_back(std::move(msg));
  c->cv_.notify_all();
}

void MqttClient::on_subscribe(struct mosquitto*, void* self, int mid, int count,
                              const int* granted) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  c->subacks_[mid] = count > 0 ? granted[0] : 0x80;
  c->cv_.notify_all();
}

void MqttClient::on_publish(struct mosquitto*, void* self, int mid) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  c->published_.insert(mid);
  c->cv_.notify_all();
}

testing::AssertionResult MqttClient::connect(int port, const std::string& client_id,
                                             std::optional<std::string> username) {
  ConnectOptions options;
  options.username = std::move(username);
  return connect(port, client_id, options);
}

testing::AssertionResult MqttClient::connect(int port, const std::string& client_id,
                                             const ConnectOptions& options) {
  if (mosq_ != nullptr) return testing::AssertionFailure() << "client already connected";
  client_id_ = client_id;
  mosq_ = mosquitto_new(client_id.empty() ? nullptr : client_id.c_str(),
                        options.clean_session, this);
  if (mosq_ == nullptr) return testing::AssertionFailure() << "mosquitto_new failed";
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, options.protocol_version);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_callback_set(mosq_, &MqttClient::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttClient::on_disconnect);
  mosquitto_message_callback_set(mosq_, &MqttClient::on_message);
  mosquitto_subscribe_callback_set(mosq_, &MqttClient::on_subscribe);
  mosquitto_publish_callback_set(mosq_, &MqttClient::on_publish);
  if (options.username) {
    mosquitto_username_pw_set(mosq_, options.username->c_str(),
                              options.password ? options.password->c_str() : nullptr);
  }
  if (options.cafile) {
    const int tls = mosquitto_tls_set(mosq_, options.cafile->c_str(), nullptr, nullptr, nullptr,
                                      nullptr);
    if (tls != MOSQ_ERR_SUCCESS) {
      return testing::AssertionFailure() << "mosquitto_tls_set: " << mosquitto_strerror(tls);
    }
  }
  int rc = mosquitto_connect(mosq_, "127.0.0.1", port, options.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    return testing::AssertionFailure() << "client '" << client_id << "': connect to port "
                                       << port << " failed: " << mosquitto_strerror(rc)
                                       << " (errno " << errno << ")";
  }
  rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    return testing::AssertionFailure() << "mosquitto_loop_start: " << mosquitto_strerror(rc);
  }
  loop_running_ = true;
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, options.timeout, [&] { return connack_.has_value(); })) {
    return testing::AssertionFailure() << "client '" << client_id << "': no CONNACK within "
                                       << options.timeout.count() << " ms";
  }
  if (*connack_ != 0) {
    return testing::AssertionFailure() << "client '" << client_id << "': connection refused: "
                                       << mosquitto_connack_string(*connack_);
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult MqttClient::subscribe(const std::string& topic_filter, int qos,
                                               std::chrono::milliseconds timeout) {
  if (mosq_ == nullptr) return testing::AssertionFailure() << "subscribe: not connected";
  int mid = 0;
  int rc = mosquitto_subscribe(mosq_, &mid, topic_filter.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS) {
    return testing::AssertionFailure() << "subscribe '" << topic_filter
                                       << "': " << mosquitto_strerror(rc);
  }
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return subacks_.count(mid) > 0; })) {
    return testing::AssertionFailure() << "subscribe '" << topic_filter << "': no SUBACK within "
                                       << timeout.count() << " ms";
  }
  int granted = subacks_[mid];
  subacks_.erase(mid);
  if (granted >= 0x80) {
    return testing::AssertionFailure() << "subscribe '" << topic_filter << "' refused (0x"
                                       << std::hex << granted << ")";
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult MqttClient::publish(const std::string& topic, const std::string& payload,
                                             int qos, bool retain,
                                             std::chrono::milliseconds timeout) {
  if (mosq_ == nullptr) return testing::AssertionFailure() << "publish: not connected";
  int mid = 0;
  int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    return testing::AssertionFailure() << "publish '" << topic << "': " << mosquitto_strerror(rc);
  }
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return published_.count(mid) > 0; })) {
    return testing::AssertionFailure() << "publish '" << topic << "' (qos " << qos
                                       << "): not acknowledged within " << timeout.count()
                                       << " ms";
  }
  published_.erase(mid);
  return testing::AssertionSuccess();
}

bool MqttClient::take_matching(const std::string& filter, Message* out, bool remove) {
  for (auto it = messages_.begin(); it != messages_.end(); ++it) {
    if (topic_matches(filter, it->topic)) {
      if (out != nullptr) *out = *it;
      if (remove) messages_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<Message> MqttClient::wait_message(const std::string& topic_filter,
                                                std::chrono::milliseconds timeout) {
  Message msg;
  std::unique_lock lock(mu_);
  if (cv_.wait_for(lock, timeout, [&] { return take_matching(topic_filter, &msg, true); })) {
    return msg;
  }
  return std::nullopt;
}

bool MqttClient::no_message(const std::string& topic_filter, std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, duration,
                       [&] { return take_matching(topic_filter, nullptr, false); });
}

void MqttClient::clear_messages() {
  std::lock_guard lock(mu_);
  messages_.clear();
}

bool MqttClient::connected() {
  std::lock_guard lock(mu_);
  return connected_;
}

void MqttClient::disconnect() { shutdown(); }

void MqttClient::shutdown() {
  if (mosq_ == nullptr) return;
  mosquitto_disconnect(mosq_);
  if (loop_running_) {
    // Not forced: the network thread sends the DISCONNECT, sees the
    // disconnecting state and returns (also while it waits to reconnect).
    mosquitto_loop_stop(mosq_, false);
    loop_running_ = false;
  }
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  std::lock_guard lock(mu_);
  connected_ = false;
  connack_.reset();
}

}  // namespace ota::test
