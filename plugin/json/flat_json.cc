#include "json/flat_json.h"

#include <simdjson.h>

namespace ota::flat_json {
namespace {

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// One member value as a Scalar; false when it is not one jansson would read
// alike (doubles: jansson refuses some simdjson accepts, and the other way).
bool to_scalar(simdjson::dom::element value, Scalar* out) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s = value.get_string().value_unsafe();
      if (has_nul(s)) return false;  // jansson refuses \u0000
      *out = {Scalar::Kind::kString, s, 0};
      return true;
    }
    case simdjson::dom::element_type::INT64:
      *out = {Scalar::Kind::kInteger, {}, value.get_int64().value_unsafe()};
      return true;
    case simdjson::dom::element_type::BOOL:
    case simdjson::dom::element_type::NULL_VALUE:
      *out = {};
      return true;
    default:  // UINT64 beyond int64, DOUBLE, ARRAY, OBJECT
      return false;
  }
}

// The members of `object` into `out`; the member named `nested` (when it is
// an object) into *nested_object instead. False: not flat.
bool read_members(simdjson::dom::object object, Members* out, std::string_view nested,
                  simdjson::dom::object* nested_object, bool* found_nested) {
  out->clear();
  for (simdjson::dom::key_value_pair member : object) {
    if (has_nul(member.key)) return false;
    Scalar scalar;
    if (!nested.empty() && member.key == nested &&
        member.value.type() == simdjson::dom::element_type::OBJECT) {
      // Kept as a placeholder too, so that a second one is a duplicate.
      if (!out->add(member.key, Scalar{})) return false;
      *nested_object = member.value.get_object().value_unsafe();
      *found_nested = true;
      continue;
    }
    if (!to_scalar(member.value, &scalar) || !out->add(member.key, scalar)) return false;
  }
  return true;
}

}  // namespace

const Scalar* Members::find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (members_[i].first == name) return &members_[i].second;
  }
  return nullptr;
}

bool Members::add(std::string_view name, const Scalar& value) {
  if (size_ == kMax || find(name) != nullptr) return false;
  members_[size_++] = {name, value};
  return true;
}

struct Reader::Parser {
  simdjson::dom::parser parser;
};

Reader::Reader() : parser_(std::make_unique<Parser>()) {}
Reader::~Reader() = default;

bool Reader::read(std::string_view payload, std::string_view nested) {
  has_nested_ = false;
  top_.clear();
  nested_.clear();
  // jansson refuses a byte order mark; simdjson may skip it.
  if (payload.starts_with("\xEF\xBB\xBF")) return false;
  simdjson::dom::element root;
  // Copies into the parser's own padded buffer, reused between messages.
  if (parser_->parser.parse(payload.data(), payload.size(), true).get(root)) return false;
  simdjson::dom::object object;
  if (root.get_object().get(object)) return false;
  simdjson::dom::object inner;
  bool found = false;
  if (!read_members(object, &top_, nested, &inner, &found)) return false;
  if (!found) return true;
  has_nested_ = true;
  // Only scalars inside: a second level of nesting is not flat.
  return read_members(inner, &nested_, {}, nullptr, &found);
}

}  // namespace ota::flat_json
