#include "parse.h"

#include <time.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "errors.h"

namespace ota::ctrl {
namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Digits only, no sign, no overflow.
std::optional<int64_t> to_int(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

int64_t parse_duration(std::string_view text) {
  const std::string error = quoted(text) + " is not a duration (e.g. 90, 90s, 30m, 2h, 1d, 1h30m)";
  std::string_view s = trim(text);
  if (s.empty()) throw UsageError(error);
  if (auto plain = to_int(s)) return *plain;
  int64_t total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    if (n == 0 || n == s.size()) throw UsageError(error);
    std::optional<int64_t> v = to_int(s.substr(0, n));
    int64_t unit = 0;
    switch (s[n]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: throw UsageError(error);
    }
    if (!v || *v > (std::numeric_limits<int64_t>::max() - total) / unit) {
      throw UsageError(quoted(text) + " is too long a duration");
    }
    total += *v * unit;
    s.remove_prefix(n + 1);
  }
  return total;
}

Retries parse_retries(std::string_view text) {
  Retries r;
  const size_t slash = text.find('/');
  std::optional<int64_t> count = to_int(trim(text.substr(0, slash)));
  if (!count) {
    throw UsageError(quoted(text) + " is not a retry policy: give count/interval, e.g. 2/10m");
  }
  r.count = *count;
  if (slash != std::string_view::npos) r.interval_s = parse_duration(text.substr(slash + 1));
  return r;
}

int64_t parse_time(std::string_view text) {
  std::string_view s = trim(text);
  if (auto unix_s = to_int(s)) return *unix_s;
  const std::string error =
      quoted(text) + " is not a time: give Unix seconds or ISO 8601 UTC, e.g. 2026-01-31T18:00:00Z";
  // YYYY-MM-DD
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') throw UsageError(error);
  auto y = to_int(s.substr(0, 4)), mo = to_int(s.substr(5, 2)), d = to_int(s.substr(8, 2));
  if (!y || !mo || !d) throw UsageError(error);
  int64_t hh = 0, mm = 0, ss = 0, offset_s = 0;
  s.remove_prefix(10);
  if (!s.empty()) {
    if (s[0] != 'T' && s[0] != 't' && s[0] != ' ') throw UsageError(error);
    s.remove_prefix(1);
    // hh:mm[:ss[.fff]]
    if (s.size() < 5 || s[2] != ':') throw UsageError(error);
    auto h = to_int(s.substr(0, 2)), m = to_int(s.substr(3, 2));
    if (!h || !m) throw UsageError(error);
    hh = *h;
    mm = *m;
    s.remove_prefix(5);
    if (!s.empty() && s[0] == ':') {
      auto sec = s.size() >= 3 ? to_int(s.substr(1, 2)) : std::nullopt;
      if (!sec) throw UsageError(error);
      ss = *sec;
      s.remove_prefix(3);
      if (!s.empty() && (s[0] == '.' || s[0] == ',')) {
        size_t n = 1;
        while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
        if (n == 1) throw UsageError(error);
        s.remove_prefix(n);
      }
    }
    // Z, +hh:mm, -hh:mm, +hhmm, +hh, or nothing (UTC).
    if (s == "Z" || s == "z") {
      s = {};
    } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      const int sign = s[0] == '-' ? -1 : 1;
      std::string_view off = s.substr(1);
      std::optional<int64_t> oh, om = 0;
      if (off.size() == 2) {
        oh = to_int(off);
      } else if (off.size() == 4) {
        oh = to_int(off.substr(0, 2));
        om = to_int(off.substr(2, 2));
      } else if (off.size() == 5 && off[2] == ':') {
        oh = to_int(off.substr(0, 2));
        om = to_int(off.substr(3, 2));
      }
      if (!oh || !om || *oh > 23 || *om > 59) throw UsageError(error);
      offset_s = sign * (*oh * 3600 + *om * 60);
      s = {};
    }
    if (!s.empty()) throw UsageError(error);
  }
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || hh > 23 || mm > 59 || ss > 60) {
    throw UsageError(error);
  }
  struct tm tm {};
  tm.tm_year = static_cast<int>(*y - 1900);
  tm.tm_mon = static_cast<int>(*mo - 1);
  tm.tm_mday = static_cast<int>(*d);
  tm.tm_hour = static_cast<int>(hh);
  tm.tm_min = static_cast<int>(mm);
  tm.tm_sec = static_cast<int>(ss);
  const time_t t = timegm(&tm);
  // timegm normalises 2026-02-30 into March: refuse such dates.
  if (tm.tm_mday != *d || tm.tm_mon != *mo - 1) throw UsageError(error + " (no such date)");
  const int64_t result = static_cast<int64_t>(t) - offset_s;
  if (result < 0) throw UsageError(quoted(text) + " is before 1970");
  return result;
}

uint64_t parse_size(std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  std::optional<int64_t> v = to_int(s.substr(0, n));
  std::string unit(s.substr(n));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int64_t scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "k" || unit == "kib") scale = 1024;
  else if (unit == "m" || unit == "mib") scale = 1024 * 1024;
  if (!v || scale == 0 || *v > std::numeric_limits<int64_t>::max() / scale) {
    throw UsageError(std::string(what) + " must be a size in bytes (262144, 256k, 1m), got " +
                     quoted(text));
  }
  return static_cast<uint64_t>(*v * scale);
}

uint64_t parse_id(std::string_view text, std::string_view what) {
  std::optional<int64_t> v = to_int(trim(text));
  if (!v || *v <= 0) {
    throw UsageError(std::string(what) + " must be a positive integer, got " + quoted(text));
  }
  return static_cast<uint64_t>(*v);
}

int64_t parse_count(std::string_view text, std::string_view what) {
  std::optional<int64_t> v = to_int(trim(text));
  if (!v) throw UsageError(std::string(what) + " must be a non-negative integer, got " + quoted(text));
  return *v;
}

std::pair<std::string, std::string> parse_tag(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw UsageError("--tag " + quoted(text) + " must be key=value");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::vector<std::string> parse_list(std::string_view text, std::string_view what) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string_view item = trim(text.substr(start, comma == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : comma - start));
    if (item.empty()) {
      throw UsageError(std::string(what) + " " + quoted(text) +
                       " has an empty item: give a,b,c");
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

double parse_percent(std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  const std::string error =
      std::string(what) + " must be a percentage above 0 and at most 100, got " + quoted(text);
  if (s.empty()) throw UsageError(error);
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) throw UsageError(error);
  }
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !(v > 0 && v <= 100)) {
    throw UsageError(error);
  }
  return v;
}

CountOrPercent parse_count_or_percent(std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  CountOrPercent r;
  const std::string error =
      std::string(what) + " must be a count (5) or a whole percentage (10%), got " + quoted(text);
  if (!s.empty() && s.back() == '%') {
    std::optional<int64_t> p = to_int(s.substr(0, s.size() - 1));
    if (!p || *p < 1 || *p > 100) throw UsageError(error);
    r.percent = *p;
  } else {
    std::optional<int64_t> c = to_int(s);
    if (!c || *c < 1 || *c > std::numeric_limits<uint32_t>::max()) throw UsageError(error);
    r.count = *c;
  }
  return r;
}

std::vector<CountOrPercent> parse_groups(std::string_view text) {
  std::vector<CountOrPercent> groups;
  for (const std::string& item : parse_list(text, "--groups")) {
    groups.push_back(parse_count_or_percent(item, "each of --groups"));
  }
  return groups;
}

std::string parse_hex(std::string_view text, size_t digits, std::string_view what) {
  std::string out(trim(text));
  bool ok = out.size() == digits;
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ok = ok && std::isxdigit(static_cast<unsigned char>(c));
  }
  if (!ok) {
    throw UsageError(std::string(what) + " must be " + std::to_string(digits) +
                     " hex digits, got " + quoted(text));
  }
  return out;
}


std::string format_duration(int64_t seconds) {
  if (seconds <= 0) return seconds == 0 ? "0s" : "-" + format_duration(-seconds);
  std::string out;
  constexpr std::array<std::pair<int64_t, char>, 4> kUnits{
      {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
  for (auto [unit, suffix] : kUnits) {
    if (seconds >= unit) {
      out += std::to_string(seconds / unit) + suffix;
      seconds %= unit;
    }
  }
  return out;
}

std::string format_time_s(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  if (!gmtime_r(&t, &tm)) return std::to_string(unix_s);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_time_ms(int64_t unix_ms) {
  return format_time_s(unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000));
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string format_percent(double fraction) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f%%", fraction * 100.0);
  return buf;
}

}  // namespace ota::ctrl
