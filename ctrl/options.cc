#include "options.h"

#include <cstdlib>
#include <fstream>

#include "errors.h"
#include "parse.h"

namespace ota::ctrl {
namespace {

struct Known {
  const char* names;  // CLI11 spelling
  bool is_switch;
  const char* help;
};

// Every connection option, in --help order.
constexpr Known kKnown[] = {
    {"-h,--host", false, "broker host (default localhost)"},
    {"-p,--port", false, "broker port (default 1883, 8883 with TLS)"},
    {"-u,--username", false, "MQTT username (an OTA admin: plugin_opt_admins)"},
    {"-P,--pw", false, "MQTT password (asked for on a terminal if the broker refuses -u without it)"},
    {"-i,--id", false, "MQTT client id (default mosquitto_ota_ctrl-<pid>)"},
    {"-q,--qos", false, "QoS of requests and the reply subscription (default 1)"},
    {"-V,--protocol-version", false, "MQTT version: 5 (default), 311 or 31"},
    {"--cafile", false, "CA certificates file: enables TLS"},
    {"--capath", false, "CA certificates directory: enables TLS"},
    {"--cert", false, "client certificate (with --key)"},
    {"--key", false, "client private key (with --cert)"},
    {"--tls-version", false, "tlsv1.3, tlsv1.2 or tlsv1.1"},
    {"--insecure", true, "do not check the server certificate's host name"},
    {"--tls-use-os-certs", true, "trust the system's CA certificates: enables TLS"},
    {"--timeout", false, "how long to wait for the broker: connect, each reply (default 10s)"},
    {"-d,--debug", true, "print requests and replies on stderr"},
};

std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = names.find(',', start);
    out.push_back(names.substr(start, comma == std::string::npos ? std::string::npos
                                                                 : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

const Known* find_known(const std::string& name) {
  for (const Known& k : kKnown) {
    for (const std::string& n : split_names(k.names)) {
      if (n == name) return &k;
    }
  }
  return nullptr;
}

int parse_int_in(const std::string& value, int min, int max, const std::string& what) {
  const int64_t v = parse_count(value, what);
  if (v < min || v > max) {
    throw UsageError(what + " must be from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + value + "'");
  }
  return static_cast<int>(v);
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string ConnectionOptions::address() const {
  return host + ":" + std::to_string(effective_port());
}

std::string ConnectionOptions::who() const {
  return username ? "user '" + *username + "'" : "an anonymous client (no -u)";
}

void apply_connection_option(ConnectionOptions& out, const std::string& name,
                             const std::string& value, const std::string& where) {
  const Known* known = find_known(name);
  if (!known) throw UsageError(where + "unknown option '" + name + "'");
  const std::string canonical = split_names(known->names).back();
  if (known->is_switch) {
    if (!value.empty()) throw UsageError(where + "option '" + name + "' takes no value");
  } else if (value.empty()) {
    throw UsageError(where + "option '" + name + "' needs a value");
  }
  try {
    if (canonical == "--host") out.host = value;
    else if (canonical == "--port") out.port = parse_int_in(value, 1, 65535, "the port");
    else if (canonical == "--username") out.username = value;
    else if (canonical == "--pw") out.password = value;
    else if (canonical == "--id") out.client_id = value;
    else if (canonical == "--qos") out.qos = parse_int_in(value, 0, 2, "the QoS");
    else if (canonical == "--protocol-version") {
      if (value == "5" || value == "mqttv5") out.protocol_version = 5;
      else if (value == "311" || value == "mqttv311") out.protocol_version = 311;
      else if (value == "31" || value == "mqttv31") out.protocol_version = 31;
      else throw UsageError("the protocol version must be 5, 311 or 31, got '" + value + "'");
    }
    else if (canonical == "--cafile") out.cafile = value;
    else if (canonical == "--capath") out.capath = value;
    else if (canonical == "--cert") out.certfile = value;
    else if (canonical == "--key") out.keyfile = value;
    else if (canonical == "--tls-version") {
      if (value != "tlsv1.3" && value != "tlsv1.2" && value != "tlsv1.1") {
        throw UsageError("--tls-version must be tlsv1.3, tlsv1.2 or tlsv1.1, got '" + value + "'");
      }
      out.tls_version = value;
    }
    else if (canonical == "--insecure") out.insecure = true;
    else if (canonical == "--tls-use-os-certs") out.tls_use_os_certs = true;
    else if (canonical == "--timeout") {
      out.timeout_s = parse_duration(value);
      if (out.timeout_s <= 0) throw UsageError("--timeout must be at least 1s");
    }
    else if (canonical == "--debug") out.debug = true;
  } catch (const UsageError& e) {
    if (where.empty()) throw;
    throw UsageError(where + e.what());
  }
}

void load_options_file(ConnectionOptions& out, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the options file '" + path + "'");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find_first_of(" \t");
    const std::string name = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : trim(line.substr(space));
    apply_connection_option(out, name, value, path + ":" + std::to_string(number) + ": ");
  }
}

std::string default_options_file() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/mosquitto_ota_ctrl";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.config/mosquitto_ota_ctrl";
  }
  return "";
}

void ConnectionFlags::add_to(CLI::App& app) {
  const std::string group = "Connection (also in the -o options file)";
  flags_.clear();
  flags_.reserve(std::size(kKnown));  // options bind to the strings: no reallocation
  for (const Known& k : kKnown) flags_.push_back(Flag{k.names, "", nullptr, k.is_switch});
  for (size_t i = 0; i < flags_.size(); ++i) {
    Flag& f = flags_[i];
    f.option = f.is_switch ? app.add_flag(f.names, kKnown[i].help)
                           : app.add_option(f.names, f.value, kKnown[i].help);
    f.option->group(group);
  }
  options_file_opt_ =
      app.add_option("-o", options_file_,
                     "options file: one connection option per line, e.g. '-h broker.lan' "
                     "(default ~/.config/mosquitto_ota_ctrl if it exists)")
          ->group(group);
}

ConnectionOptions ConnectionFlags::finish() const {
  ConnectionOptions out;
  if (options_file_opt_ && options_file_opt_->count() > 0) {
    load_options_file(out, options_file_);
  } else if (const std::string path = default_options_file(); !path.empty()) {
    std::ifstream probe(path);
    if (probe) load_options_file(out, path);
  }
  for (const Flag& f : flags_) {
    if (!f.option || f.option->count() == 0) continue;
    const std::string name = split_names(f.names).back();
    apply_connection_option(out, name, f.is_switch ? "" : f.value, "");
  }
  if (out.certfile.empty() != out.keyfile.empty()) {
    throw UsageError("--cert and --key must be given together");
  }
  if ((!out.certfile.empty() || !out.tls_version.empty() || out.insecure) && !out.tls()) {
    throw UsageError("--cert, --key, --tls-version and --insecure need TLS: give --cafile, "
                     "--capath or --tls-use-os-certs");
  }
  return out;
}

}  // namespace ota::ctrl
