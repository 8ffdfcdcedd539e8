// Percent-encoding for signed download URLs, and the rebuilding of a request
// target from the pieces lws hands over (it decodes the path and each query
// argument separately). Pure functions, shared by the signer and the HTTP
// helper library.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ota {

// Percent-encoding of everything but RFC 3986 unreserved characters
// (and '/' too when `keep_slash`).
std::string url_encode(std::string_view s, bool keep_slash = false);

// Strict percent-decoding ('+' is a space, as lws and HTML forms treat it);
// nullopt on a bad escape.
std::optional<std::string> url_decode(std::string_view s);

// "<encoded path>?<encoded name>=<encoded value>&..." from a decoded path
// and decoded "name=value" arguments, so that verify() sees what the signer
// produced whatever the names contain ('&', '/', '=', spaces).
std::string rebuild_target(std::string_view decoded_path,
                           const std::vector<std::string>& decoded_args);

}  // namespace ota
