#include "control_client.h"

#include <unistd.h>

#include <atomic>

namespace ota::test {

namespace {
std::atomic<unsigned> g_client_counter{0};
}  // namespace

testing::AssertionResult ControlClient::connect(int port, std::optional<std::string> username,
                                                const std::string& client_id) {
  ConnectOptions options;
  options.username = std::move(username);
  return connect(port, options, client_id);
}

testing::AssertionResult ControlClient::connect(int port, const ConnectOptions& options,
                                                const std::string& client_id) {
  unsigned n = ++g_client_counter;
  std::string id = client_id.empty() ? "ctl-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(n)
                                     : client_id;
  id_prefix_ = id + "-";
  auto r = mqtt_.connect(port, id, options);
  if (!r) return r;
  return mqtt_.subscribe(kControlResponseTopic, 1);
}

JsonPtr ControlClient::send(const std::string& command, const std::string& fields,
                            std::chrono::milliseconds timeout) {
  std::string error;
  JsonPtr parsed = json_parse(fields, &error);
  if (!json_is_object(parsed.get())) {
    ADD_FAILURE() << "ControlClient::send(" << command << "): fields are not a JSON object: "
                  << fields << " " << error;
    return nullptr;
  }
  return send(command, parsed.get(), timeout);
}

JsonPtr ControlClient::send(const std::string& command, const json_t* fields,
                            std::chrono::milliseconds timeout) {
  const std::string correlation = id_prefix_ + std::to_string(next_id_++);
  JsonPtr cmd(json_object());
  json_object_set_new(cmd.get(), "command", json_string(command.c_str()));
  const char* key;
  json_t* value;
  json_object_foreach(const_cast<json_t*>(fields), key, value) {
    json_object_set(cmd.get(), key, value);
  }
  json_object_set_new(cmd.get(), "correlationData", json_string(correlation.c_str()));
  JsonPtr envelope(json_object());
  json_t* commands = json_array();
  json_array_append(commands, cmd.get());
  json_object_set_new(envelope.get(), "commands", commands);
  last_request_ = json_text(envelope.get());

  auto published = mqtt_.publish(kControlTopic, last_request_, 1);
  if (!published) {
    ADD_FAILURE() << published.message();
    return nullptr;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return nullptr;
    auto msg = mqtt_.wait_message(kControlResponseTopic, left);
    if (!msg) return nullptr;
    JsonPtr reply = json_parse(msg->payload);
    json_t* first = json_at(reply.get(), "responses/0");
    if (json_string_at(first, "correlationData") == correlation) return json_ref(first);
    // Someone else's response (all subscribers see every response): skip.
  }
}

testing::AssertionResult ControlClient::send_raw(const std::string& payload) {
  return mqtt_.publish(kControlTopic, payload, 1);
}

std::optional<std::string> response_error(const json_t* response) {
  return json_string_at(response, "error");
}

json_t* response_data(const json_t* response) {
  json_t* data = json_at(response, "data");
  return json_is_object(data) ? data : nullptr;
}

}  // namespace ota::test
