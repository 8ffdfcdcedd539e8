#include "json/flat_json.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "bytes/same_bytes.h"

namespace ota::flat_json {
namespace {

// What a byte is inside a JSON string, looked up once per byte: this scan
// runs over every device report.
enum class ByteClass : uint8_t { kPlain, kQuote, kLead, kRefused };
constexpr std::array<ByteClass, 256> kStringBytes = [] {
  std::array<ByteClass, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    classes[c] = c < 0x20 || c == '\\' ? ByteClass::kRefused
               : c == '"'              ? ByteClass::kQuote
               : c >= 0x80             ? ByteClass::kLead  // checked by utf8_sequence()
                                       : ByteClass::kPlain;
  }
  return classes;
}();

// A forward scan over the payload. Every function returns false for
// anything outside the subset it reads: the caller then takes jansson.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void skip_space() {
    // Devices send compact JSON: one comparison when there is no space.
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
      ++p_;
    }
  }
  bool at_end() const { return p_ == end_; }
  bool take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  char peek() const { return p_ < end_ ? *p_ : '\0'; }

  // A string without escapes, of printable ASCII and well-formed UTF-8
  // (what jansson accepts: no overlong forms, no surrogates, at most
  // U+10FFFF). A backslash is left to jansson, which decodes it.
  [[gnu::always_inline]] bool string(std::string_view* out) {
    if (!take('"')) return false;
    const char* start = p_;
    while (true) {
      skip_plain_words();
      if (p_ == end_) return false;  // unterminated
      const ByteClass c = kStringBytes[static_cast<unsigned char>(*p_)];
      if (c == ByteClass::kPlain) {
        ++p_;
      } else if (c == ByteClass::kQuote) {
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      } else if (c == ByteClass::kLead) {
        if (!utf8_sequence()) return false;
      } else {
        return false;  // a backslash or a control byte
      }
    }
  }

  // A JSON integer that fits int64_t. Fractions, exponents and -0 (which
  // some parsers read as a double) are left to jansson.
  bool integer(int64_t* out) {
    const bool negative = take('-');
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && (negative || (p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9'))) return false;
    int64_t value = 0;
    int digits = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      if (++digits > 18) return false;  // beyond what surely fits
      value = value * 10 + (*p_ - '0');
      ++p_;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = negative ? -value : value;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

 private:
  // Past the plain bytes of a string eight at a time, while eight remain:
  // up to the first quote, backslash, control or non-ASCII byte (what the
  // byte loop then reads). A byte at a time costs about ten instructions,
  // on every byte of every report.
  [[gnu::always_inline]] void skip_plain_words() {
    if constexpr (std::endian::native == std::endian::little) {
      constexpr uint64_t kOnes = 0x0101010101010101ULL;
      constexpr uint64_t kHighs = 0x8080808080808080ULL;
      while (end_ - p_ >= 8) {
        uint64_t w;
        std::memcpy(&w, p_, 8);
        const uint64_t quote = w ^ (kOnes * '"');
        const uint64_t backslash = w ^ (kOnes * '\\');
        // The high bit of each byte below 0x20, equal to '"' or '\\' (zero
        // after the xor), or itself high. A borrow can only mark bytes
        // after a marked one, so the lowest mark is exact.
        const uint64_t marks = (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                                ((backslash - kOnes) & ~backslash) | w) &
                               kHighs;
        if (marks != 0) {
          p_ += std::countr_zero(marks) / 8;
          return;
        }
        p_ += 8;
      }
    }
  }

  // One multi-byte UTF-8 sequence at p_ (RFC 3629).
  bool utf8_sequence() {
    const auto lead = static_cast<unsigned char>(*p_);
    size_t length;
    uint32_t code;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code = lead & 0x07;
    } else {
      return false;  // a continuation byte, an overlong lead, or beyond U+10FFFF
    }
    if (static_cast<size_t>(end_ - p_) < length) return false;
    for (size_t i = 1; i < length; ++i) {
      const auto c = static_cast<unsigned char>(p_[i]);
      if ((c & 0xC0) != 0x80) return false;
      code = (code << 6) | (c & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    p_ += length;
    return true;
  }

  const char* p_;
  const char* end_;
};

bool scalar(Scanner& in, Scalar* out) {
  switch (in.peek()) {
    case '"':
      out->kind = Scalar::Kind::kString;
      return in.string(&out->text);
    case 't':
      *out = {};
      return in.literal("true");
    case 'f':
      *out = {};
      return in.literal("false");
    case 'n':
      *out = {};
      return in.literal("null");
    default:
      out->kind = Scalar::Kind::kInteger;
      return in.integer(&out->integer);
  }
}

// One object of scalars into `out`; the member named `nested`, when it is
// an object, into `nested_out` instead (once: a second is a duplicate).
bool object(Scanner& in, Members* out, std::string_view nested, Members* nested_out,
            bool* found_nested) {
  out->clear();
  if (!in.take('{')) return false;
  in.skip_space();
  if (in.take('}')) return true;
  while (true) {
    std::string_view key;
    in.skip_space();
    if (!in.string(&key)) return false;
    in.skip_space();
    if (!in.take(':')) return false;
    in.skip_space();
    if (nested_out != nullptr && key == nested && in.peek() == '{') {
      // Kept as a placeholder too, so that a second one is a duplicate;
      // inside it, only scalars.
      if (!out->add(key, Scalar{})) return false;
      if (!object(in, nested_out, {}, nullptr, nullptr)) return false;
      *found_nested = true;
    } else {
      Scalar value;
      if (!scalar(in, &value) || !out->add(key, value)) return false;
    }
    in.skip_space();
    if (in.take('}')) return true;
    if (!in.take(',')) return false;
  }
}

}  // namespace

const Scalar* Members::find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (same_bytes(members_[i].first, name)) return &members_[i].second;
  }
  return nullptr;
}

bool Members::add(std::string_view name, const Scalar& value) {
  if (size_ == kMax || find(name) != nullptr) return false;
  members_[size_++] = {name, value};
  return true;
}

bool Reader::read(std::string_view payload, std::string_view nested) {
  has_nested_ = false;
  top_.clear();
  nested_.clear();
  Scanner in(payload);  // a byte order mark is not whitespace: refused, as jansson does
  in.skip_space();
  if (!object(in, &top_, nested, &nested_, &has_nested_)) return false;
  in.skip_space();
  return in.at_end();
}

}  // namespace ota::flat_json
