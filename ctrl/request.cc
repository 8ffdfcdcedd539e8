#include "request.h"

#include <mosquitto.h>
#include <unistd.h>

#include <iostream>
#include <random>

#include "errors.h"

namespace ota::ctrl {

JsonPtr make_command(const char* name) {
  JsonPtr c(json_object());
  json_object_set_new(c.get(), "command", json_string(name));
  return c;
}

ControlClient::ControlClient(const ConnectionOptions& options) : options_(options) {
  std::random_device rd;
  char buf[32];
  snprintf(buf, sizeof buf, "%x-%x-", static_cast<unsigned>(getpid()), rd() & 0xffffff);
  correlation_prefix_ = buf;
}

ControlClient::~ControlClient() {
  if (mqtt_) mqtt_->disconnect();
}

void ControlClient::open() {
  if (mqtt_) return;
  mqtt_ = std::make_unique<MqttConnection>(options_);
  try {
    mqtt_->connect();
  } catch (const CredentialsRefused&) {
    // As mosquitto_ctrl, but only when the broker asks for it: -u without
    // -P on a terminal gets a password prompt, then one more try.
    if (!options_.username || options_.password || !isatty(STDIN_FILENO)) throw;
    std::optional<std::string> password =
        prompt_password("Password for " + *options_.username + ": ");
    if (!password) throw;
    options_.password = std::move(password);
    mqtt_ = std::make_unique<MqttConnection>(options_);
    mqtt_->connect();
  }
  if (!mqtt_->subscribe(kResponseTopic)) {
    no_reply("the broker refused the subscription to " + std::string(kResponseTopic));
  }
}

std::string ControlClient::send(JsonPtr command) {
  open();
  const std::string correlation = correlation_prefix_ + std::to_string(next_correlation_++);
  json_object_set_new(command.get(), "correlationData", json_string(correlation.c_str()));
  JsonPtr envelope(json_object());
  JsonPtr list(json_array());
  json_array_append(list.get(), command.get());
  json_object_set(envelope.get(), "commands", list.get());
  const std::string payload = json::dump(envelope.get());
  if (options_.debug) {
    std::cerr << "> " << (payload.size() > 2000 ? payload.substr(0, 2000) + "..." : payload)
              << "\n";
  }
  mqtt_->publish(kControlTopic, payload);
  return correlation;
}

void ControlClient::take_messages() {
  auto& queue = mqtt_->messages();
  while (!queue.empty()) {
    Incoming m = std::move(queue.front());
    queue.pop_front();
    if (m.topic != kResponseTopic) continue;
    if (options_.debug) std::cerr << "< " << m.payload << "\n";
    std::string error;
    JsonPtr envelope = json::parse(m.payload, &error);
    const json_t* responses = nullptr;
    if (!envelope || !json::get_array(envelope.get(), "responses", &responses, false, &error)) {
      std::cerr << "mosquitto_ota_ctrl: ignoring a malformed reply: " << error << "\n";
      continue;
    }
    size_t i;
    json_t* r;
    json_array_foreach(const_cast<json_t*>(responses), i, r) {
      const json_t* corr = json_object_get(r, "correlationData");
      if (!json_is_string(corr)) continue;
      Reply reply;
      std::string ignored;
      json::get_string(r, "command", &reply.command, true, &ignored);
      if (const json_t* e = json_object_get(r, "error"); json_is_string(e)) {
        reply.error = json_string_value(e);
      } else {
        json_t* data = json_object_get(r, "data");
        reply.data.reset(data ? json_incref(data) : json_object());
      }
      replies_[json_string_value(corr)] = std::move(reply);
    }
  }
}

void ControlClient::no_reply(const std::string& detail) {
  const std::string who = options_.username ? *options_.username : "an anonymous client (no -u)";
  throw ConnectionError("no reply from the broker: is " + who +
                        " an OTA admin (plugin_opt_admins)? (" + detail + ")");
}

Reply ControlClient::wait(const std::string& correlation) {
  const bool got = mqtt_->run_until(
      [&] {
        take_messages();
        return replies_.count(correlation) > 0 || mqtt_->publish_refused().has_value();
      },
      mqtt_->deadline());
  if (!got || !replies_.count(correlation)) {
    if (mqtt_->publish_refused()) {
      no_reply("the broker refused the request: " +
               std::string(mosquitto_reason_string(*mqtt_->publish_refused())));
    }
    no_reply("nothing came back within " + std::to_string(options_.timeout_s) +
             "s (--timeout); the broker at " + options_.address() +
             " must also load the mosquitto-ota plugin");
  }
  auto it = replies_.find(correlation);
  Reply reply = std::move(it->second);
  replies_.erase(it);
  return reply;
}

JsonPtr ControlClient::call(JsonPtr command) {
  Reply reply = wait(send(std::move(command)));
  if (reply.error) throw CommandError(*reply.error);
  return std::move(reply.data);
}

std::vector<Reply> ControlClient::call_all(std::vector<JsonPtr> commands) {
  open();
  // One envelope: the plugin answers every command of it in order.
  JsonPtr envelope(json_object());
  JsonPtr list(json_array());
  std::vector<std::string> correlations;
  for (JsonPtr& c : commands) {
    const std::string correlation = correlation_prefix_ + std::to_string(next_correlation_++);
    json_object_set_new(c.get(), "correlationData", json_string(correlation.c_str()));
    json_array_append(list.get(), c.get());
    correlations.push_back(correlation);
  }
  json_object_set(envelope.get(), "commands", list.get());
  const std::string payload = json::dump(envelope.get());
  if (options_.debug) std::cerr << "> " << payload << "\n";
  mqtt_->publish(kControlTopic, payload);
  std::vector<Reply> out;
  for (const std::string& c : correlations) out.push_back(wait(c));
  return out;
}

}  // namespace ota::ctrl
