// Parsers for option values. Each throws UsageError with a message naming
// what was expected, so a typo is reported before anything is sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ota::ctrl {

// A duration in seconds: "90", "90s", "30m", "2h", "1d", or a sum of them
// ("1h30m"). Zero is allowed; negative numbers are not.
int64_t parse_duration(std::string_view text);

// Retries as "count/interval" ("2/10m"), or a bare count ("3": no wait).
struct Retries {
  int64_t count = 0;
  int64_t interval_s = 0;
};
Retries parse_retries(std::string_view text);

// A point in time as Unix seconds: either an integer ("1767225600") or an
// ISO 8601 date-time in UTC ("2026-01-01T00:00:00Z"; also without seconds,
// with a space instead of 'T', fractional seconds ignored, a "+hh:mm"
// offset, or a date alone meaning midnight UTC).
int64_t parse_time(std::string_view text);

// A byte count: "262144", "256k", "256KiB", "1m", "1MiB" (binary units).
uint64_t parse_size(std::string_view text, std::string_view what);

// A positive integer id ("package 3").
uint64_t parse_id(std::string_view text, std::string_view what);

// A non-negative integer that fits in int64.
int64_t parse_count(std::string_view text, std::string_view what);

// "k=v" (the key must not be empty; the value may be).
std::pair<std::string, std::string> parse_tag(std::string_view text);

// "a,b,c" with no empty items.
std::vector<std::string> parse_list(std::string_view text, std::string_view what);

// A percentage above 0 and at most 100: "10", "10%", "0.5".
double parse_percent(std::string_view text, std::string_view what);

// "5" (a count) or "10%" (a percentage).
struct CountOrPercent {
  int64_t count = 0;
  int64_t percent = 0;
};
CountOrPercent parse_count_or_percent(std::string_view text, std::string_view what);

// "10%,90%" or "5,100": one entry per group.
std::vector<CountOrPercent> parse_groups(std::string_view text);

// Hex digits of exactly `digits` characters (lower-cased).
std::string parse_hex(std::string_view text, size_t digits, std::string_view what);


// Display helpers.
std::string format_duration(int64_t seconds);      // 5400 -> "1h30m"
std::string format_time_ms(int64_t unix_ms);       // -> "2026-01-01T00:00:00Z"
std::string format_time_s(int64_t unix_s);
std::string format_bytes(uint64_t bytes);          // 1536 -> "1.5 KiB"
std::string format_percent(double fraction);       // 0.8333 -> "83.3%"

}  // namespace ota::ctrl
