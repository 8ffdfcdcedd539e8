// Human-readable output: aligned tables and "label: value" blocks, plus the
// --json printer and small readers of reply fields.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace ota::ctrl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Right-aligns a column (numbers).
  Table& right(size_t column);
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // Columns separated by two spaces, padded to the widest cell (in
  // characters, not bytes); the last column is not padded.
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "label:  value" lines with the values aligned.
using Fields = std::vector<std::pair<std::string, std::string>>;
void print_fields(std::ostream& out, const Fields& fields);

// Indented JSON with keys in reply order, and a final newline.
void print_json(std::ostream& out, const json_t* value);

// Readers of reply fields; absent or null reads as "" / 0 / false.
std::string jstr(const json_t* obj, const char* key);
int64_t jint(const json_t* obj, const char* key);
double jreal(const json_t* obj, const char* key);  // integer or real
bool jbool(const json_t* obj, const char* key);
// Any value as short text: strings bare, null as "-", others as JSON.
std::string jtext(const json_t* value);
// A millisecond timestamp field as ISO 8601 UTC, "-" when null or 0.
std::string jtime_ms(const json_t* obj, const char* key);
// An array of strings as "a,b,c" ("-" when empty).
std::string jlist(const json_t* obj, const char* key);
// An object of strings as "k=v,k2=v2" ("-" when empty).
std::string jmap(const json_t* obj, const char* key);

// Characters (UTF-8 code points) in a string.
size_t display_width(const std::string& s);

}  // namespace ota::ctrl
