// The dialects this build knows, by name: the one place that maps a product's
// configured dialect name to a codec.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/dialect.h"

namespace ota {

// Per-dialect settings from the broker configuration.
// Plugin-wide settings of dialects (per-product ones are in ProductConfig).
struct DialectOptions {};

// nullptr if `name` is not a known dialect.
std::unique_ptr<Dialect> make_dialect(std::string_view name,
                                      const DialectOptions& options);

// Every name make_dialect() accepts, for configuration checks and messages.
std::vector<std::string_view> dialect_names();

}  // namespace ota
