// Compact binary records for the values the LMDB store keeps.
//
// Each record starts with a format byte so its layout can evolve: a newer
// build adds a format and keeps decoding the older ones. Numbers are varints
// (signed ones zigzag-encoded) and strings are length-prefixed, which keeps
// a typical one-module device record near 100 bytes (DESIGN.md §8 allows
// 512). Decoding never reads past the input: truncated or garbage bytes
// throw StoreError("corrupt <kind> record: ...").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "engine/model.h"

namespace ota {

// Appends primitive values to a byte string.
class Writer {
 public:
  // Most records fit: one allocation instead of a string that grows.
  Writer() { out_.reserve(kTypicalRecordBytes); }
  static constexpr size_t kTypicalRecordBytes = 96;
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void varint(uint64_t v);
  void svarint(int64_t v);  // zigzag, so small negative numbers stay small
  void str(std::string_view s);

  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer wrote, checking every length against the input left.
class Reader {
 public:
  // `kind` names the record in error messages ("device", "task", ...).
  Reader(std::string_view data, std::string_view kind)
      : data_(data), kind_(kind) {}
  // The Reader keeps a view: a temporary string would dangle.
  Reader(std::string&& data, std::string_view kind) = delete;

  uint8_t u8();
  bool boolean();
  uint64_t varint();
  int64_t svarint();
  uint32_t u32();  // a varint that must fit 32 bits
  int32_t s32();   // an svarint that must fit 32 bits
  std::string str();
  // An element count, refused if the input left could not hold that many
  // elements of at least `min_element_bytes` each (so garbage cannot make
  // us allocate gigabytes).
  size_t count(size_t min_element_bytes);
  // An enum stored as one byte, refused unless below `limit`.
  template <typename E>
  E enum_below(uint8_t limit, std::string_view what) {
    uint8_t v = u8();
    if (v >= limit) fail(std::string(what) + " value " + std::to_string(v));
    return static_cast<E>(v);
  }
  // The record must end here: trailing bytes mean it is not what we think.
  void expect_end();

  size_t remaining() const { return data_.size() - pos_; }
  [[noreturn]] void fail(std::string_view what) const;

 private:
  std::string_view data_;
  std::string_view kind_;
  size_t pos_ = 0;
};

// Current record formats. Bump one (and keep decoding the old) when its
// layout changes.
inline constexpr uint8_t kDeviceFormat = 1;
inline constexpr uint8_t kPackageFormat = 1;
// 2 added expanding and expanded_through at the end; format 1 records still
// decode (as fully expanded).
inline constexpr uint8_t kJobFormat = 2;
// 2 added resends at the end; format 1 records still decode (resends 0).
inline constexpr uint8_t kTaskFormat = 2;
// 2 added download_protocol at the end; format 1 records still decode.
inline constexpr uint8_t kProductConfigFormat = 2;

std::string encode_device(const Device& device);
Device decode_device(std::string_view bytes);

std::string encode_package(const Package& package);
Package decode_package(std::string_view bytes);

std::string encode_job(const Job& job);
Job decode_job(std::string_view bytes);

std::string encode_task(const Task& task);
Task decode_task(std::string_view bytes);

std::string encode_product_config(const ProductConfig& config);
ProductConfig decode_product_config(std::string_view bytes);

}  // namespace ota
