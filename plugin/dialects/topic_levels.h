// Splitting a topic's tail into its levels, for dialects that accept only
// topics of an exact shape.
#pragma once

#include <span>
#include <string_view>

namespace ota {

// Splits `rest` at '/' into exactly out.size() levels. False (and `out`
// unspecified) when the count differs or any level is empty.
bool split_levels(std::string_view rest, std::span<std::string_view> out);

// Whether a subscription filter has MQTT wildcards ('+' or '#'): such a
// subscription (a logger's, say) does not name one device.
bool has_wildcard(std::string_view filter);

}  // namespace ota
