// Standard base64 (RFC 4648, with padding) for firmware chunks in control
// messages: one implementation for the plugin and mosquitto_ota_ctrl, on
// OpenSSL's codec, with the strictness OpenSSL leaves out (no whitespace,
// padding only at the end, canonical padding bits).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ota::base64 {

std::string encode(std::string_view bytes);
// nullopt when `text` is not strict base64.
std::optional<std::string> decode(std::string_view text);

}  // namespace ota::base64
