// Connection options, as mosquitto_ctrl has them: on the command line and
// in an options file (-o, or $XDG_CONFIG_HOME/mosquitto_ota_ctrl, else
// ~/.config/mosquitto_ota_ctrl), one option per line ("-h broker.lan",
// "--cafile /etc/ca.pem"; '#' starts a comment line). Command-line flags
// override the file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ota::ctrl {

struct ConnectionOptions {
  std::string host = "localhost";
  std::optional<int> port;  // default 1883, or 8883 with TLS
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string client_id;  // empty: generated
  int qos = 1;
  int protocol_version = 5;  // 5, 311 or 31
  std::string cafile, capath, certfile, keyfile, tls_version;
  bool insecure = false;
  bool tls_use_os_certs = false;
  int64_t timeout_s = 10;  // connect and each reply
  bool debug = false;      // requests and replies on stderr

  bool tls() const { return !cafile.empty() || !capath.empty() || tls_use_os_certs; }
  int effective_port() const { return port ? *port : (tls() ? 8883 : 1883); }
  // "localhost:1883"
  std::string address() const;
  // "user 'admin'" or "an anonymous client", for messages.
  std::string who() const;
};

// The command-line side: registers the options on `app` and remembers them
// so that finish() can tell which were given.
class ConnectionFlags {
 public:
  void add_to(CLI::App& app);

  // Applies the options file (explicit -o, else the default one if it
  // exists), then the command line on top; validates the result. Throws
  // UsageError.
  ConnectionOptions finish() const;

 private:
  struct Flag {
    std::string names;  // CLI11 spelling: "-h,--host"
    std::string value;  // as given
    CLI::Option* option = nullptr;
    bool is_switch = false;
  };
  std::vector<Flag> flags_;
  std::string options_file_;
  CLI::Option* options_file_opt_ = nullptr;
};

// Applies one option ("--cafile", "/etc/ca.pem") to `out`; the option file
// reader and finish() share it. Throws UsageError for an unknown option or
// a bad value; `where` prefixes the message.
void apply_connection_option(ConnectionOptions& out, const std::string& name,
                             const std::string& value, const std::string& where);

// Reads an options file into `out`. Throws UsageError (with file:line).
void load_options_file(ConnectionOptions& out, const std::string& path);

// The default options file, or empty when neither XDG_CONFIG_HOME nor HOME
// is set.
std::string default_options_file();

}  // namespace ota::ctrl
