#include "output.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "json/json_util.h"
#include "parse.h"

namespace ota::ctrl {

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

Table& Table::right(size_t column) {
  if (column < right_.size()) right_[column] = true;
  return *this;
}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  for (std::string& cell : row) {
    // One line per row: control characters from device-sent strings must
    // not break the layout.
    for (char& c : cell) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
  }
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out) const {
  std::vector<size_t> width(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = display_width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t pad = width[i] - display_width(row[i]);
      const bool last = i + 1 == row.size();
      if (right_[i]) text.append(pad, ' ');
      text += row[i];
      if (!right_[i] && !last) text.append(pad, ' ');
      if (!last) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
}

void print_fields(std::ostream& out, const Fields& fields) {
  size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, display_width(label));
  for (const auto& [label, value] : fields) {
    out << label << ":" << std::string(width - display_width(label) + 2, ' ') << value << "\n";
  }
}

void print_json(std::ostream& out, const json_t* value) {
  char* text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  out << (text ? text : "null") << "\n";
  free(text);
}

std::string jstr(const json_t* obj, const char* key) {
  const json_t* v = json_object_get(obj, key);
  return json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : "";
}

int64_t jint(const json_t* obj, const char* key) {
  const json_t* v = json_object_get(obj, key);
  if (json_is_integer(v)) return json_integer_value(v);
  if (json_is_real(v)) return static_cast<int64_t>(json_real_value(v));
  return 0;
}

double jreal(const json_t* obj, const char* key) {
  const json_t* v = json_object_get(obj, key);
  return json_is_number(v) ? json_number_value(v) : 0.0;
}

bool jbool(const json_t* obj, const char* key) { return json_is_true(json_object_get(obj, key)); }

std::string jtext(const json_t* value) {
  if (!value || json_is_null(value)) return "-";
  if (json_is_string(value)) return std::string(json_string_value(value), json_string_length(value));
  if (json_is_real(value)) {
    const double d = json_real_value(value);
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  }
  return json::dump(value);
}

std::string jtime_ms(const json_t* obj, const char* key) {
  const json_t* v = json_object_get(obj, key);
  if (!json_is_integer(v) || json_integer_value(v) == 0) return "-";
  return format_time_ms(json_integer_value(v));
}

std::string jlist(const json_t* obj, const char* key) {
  const json_t* a = json_object_get(obj, key);
  std::string out;
  size_t i;
  json_t* v;
  json_array_foreach(a, i, v) out += (out.empty() ? "" : ",") + jtext(v);
  return out.empty() ? "-" : out;
}

std::string jmap(const json_t* obj, const char* key) {
  const json_t* m = json_object_get(obj, key);
  std::string out;
  const char* k;
  json_t* v;
  json_object_foreach(const_cast<json_t*>(m), k, v) {
    out += (out.empty() ? "" : ",") + std::string(k) + "=" + jtext(v);
  }
  return out.empty() ? "-" : out;
}

}  // namespace ota::ctrl
