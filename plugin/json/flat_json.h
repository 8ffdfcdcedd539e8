// A fast reader for the small device reports that arrive by the thousand
// per second: {"id":..., "params":{...}} with scalar members only. One
// forward scan over the payload, no allocation and no document built
// (jansson builds a DOM of hash tables; decisions.md "Hot device reports").
//
// It reads a strict subset of JSON, and says "not flat" for everything
// else: invalid JSON, a duplicate key, a string with an escape, a number
// that is not a 64-bit integer (or is -0), nesting other than the one named
// object, a byte order mark, more than Members::kMax members. Callers then
// take the jansson path, which gives the same result or explains the
// error; tests/fuzz/flat_json_fuzz.cc checks the two agree.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ota::flat_json {

struct Scalar {
  enum class Kind { kString, kInteger, kOther };  // kOther: true, false, null
  Kind kind = Kind::kOther;
  std::string_view text;  // kString
  int64_t integer = 0;    // kInteger
};

// The scalar members of one object, in document order.
class Members {
 public:
  static constexpr size_t kMax = 16;  // more: not a device report, not flat
  const Scalar* find(std::string_view name) const;
  bool add(std::string_view name, const Scalar& value);  // false: full or duplicate
  void clear() { size_ = 0; }

 private:
  std::array<std::pair<std::string_view, Scalar>, kMax> members_;
  size_t size_ = 0;
};

class Reader {
 public:
  // Reads `payload` as an object of scalars plus, optionally, one object of
  // scalars under `nested`. False: not flat (use the full parser). The views
  // in top() and nested() point into `payload` and stay valid as long as
  // it does, until the next read().
  bool read(std::string_view payload, std::string_view nested);
  const Members& top() const { return top_; }
  const Members& nested() const { return nested_; }
  bool has_nested() const { return has_nested_; }

 private:
  Members top_;
  Members nested_;
  bool has_nested_ = false;
};

}  // namespace ota::flat_json
