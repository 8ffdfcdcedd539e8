// The three ways mosquitto_ota_ctrl fails, each with its exit status:
//   1  the broker answered with an error (the command was refused)
//   2  the command line is wrong (nothing was sent)
//   3  the broker could not be reached, refused us, or did not answer
#pragma once

#include <stdexcept>
#include <string>

namespace ota::ctrl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCommandError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConnection = 3;

class CtrlError : public std::runtime_error {
 public:
  CtrlError(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A bad option value found after CLI11 accepted the command line.
struct UsageError : CtrlError {
  explicit UsageError(const std::string& message) : CtrlError(kExitUsage, message) {}
};

// The server's "error" text for a command.
struct CommandError : CtrlError {
  explicit CommandError(const std::string& message) : CtrlError(kExitCommandError, message) {}
};

// Unreachable broker, refused CONNACK, no reply in time, lost connection.
struct ConnectionError : CtrlError {
  explicit ConnectionError(const std::string& message) : CtrlError(kExitConnection, message) {}
};

// The CONNACK refused the username or password (a ConnectionError).
struct CredentialsRefused : ConnectionError {
  explicit CredentialsRefused(const std::string& message) : ConnectionError(message) {}
};

}  // namespace ota::ctrl
