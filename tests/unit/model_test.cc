// The model's helpers on the per-message path: same_bytes() (bytes/), the device
// key's equality built on it, find_module() and the device key's hash.
#include "engine/model.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace ota {
namespace {

TEST(SameBytes, AgreesWithStringEqualityForEveryLengthAndDifferingByte) {
  // Lengths around the word size, a difference at every position (the
  // overlapping last word included), and equal strings at distinct addresses.
  for (size_t n = 0; n <= 25; ++n) {
    const std::string a(n, 'x');
    const std::string same(a);
    EXPECT_TRUE(same_bytes(a, same)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = 'y';
      EXPECT_FALSE(same_bytes(a, b)) << "length " << n << ", byte " << i;
      EXPECT_FALSE(same_bytes(b, a)) << "length " << n << ", byte " << i;
    }
    EXPECT_FALSE(same_bytes(a, a + "x")) << n;  // a prefix is not equal
  }
}

TEST(SameBytes, ComparesBytesNotTerminators) {
  const std::string with_nul("ab\0cd", 5);
  EXPECT_TRUE(same_bytes(with_nul, std::string("ab\0cd", 5)));
  EXPECT_FALSE(same_bytes(with_nul, std::string("ab\0ce", 5)));
  EXPECT_FALSE(same_bytes(std::string_view("abc"), std::string_view("abd", 2)));
}

TEST(DeviceKeyEquality, NeedsBothNamesEqual) {
  const DeviceKey key{"product-01", "device-000001"};
  EXPECT_EQ(key, (DeviceKey{"product-01", "device-000001"}));
  EXPECT_NE(key, (DeviceKey{"product-02", "device-000001"}));
  EXPECT_NE(key, (DeviceKey{"product-01", "device-000002"}));
  // The separator is not part of either name.
  EXPECT_NE((DeviceKey{"ab", "c"}), (DeviceKey{"a", "bc"}));
}

TEST(FindModule, FindsByNameInSmallAndLargeMapsAlike) {
  // Up to four modules are walked, more are searched: the same answers.
  for (int count : {0, 1, 3, 4, 5, 9}) {
    std::map<std::string, ModuleState> modules;
    for (int i = 0; i < count; ++i) modules["mod" + std::to_string(i)] = {"v" + std::to_string(i), i};
    for (int i = 0; i < count; ++i) {
      auto it = find_module(modules, "mod" + std::to_string(i));
      ASSERT_NE(it, modules.end()) << count << " " << i;
      EXPECT_EQ(it->second.version, "v" + std::to_string(i));
    }
    EXPECT_EQ(find_module(modules, "mod"), modules.end()) << count;   // a prefix
    EXPECT_EQ(find_module(modules, "mod00"), modules.end()) << count;  // longer
    EXPECT_EQ(find_module(modules, ""), modules.end()) << count;
  }
}

TEST(FindModule, GivesAWritableEntryOfAMutableMap) {
  std::map<std::string, ModuleState> modules{{"default", {"1.0", 1}}};
  find_module(modules, "default")->second = {"1.1", 2};
  EXPECT_EQ(modules.at("default"), (ModuleState{"1.1", 2}));
}

TEST(DeviceKeyHash, EqualKeysAlikeAndSequentialNamesSpread) {
  const DeviceKeyHash hash;
  EXPECT_EQ(hash({"pk", "device-1"}), hash({std::string("pk"), std::string("device-1")}));
  // The boundary between the names counts.
  EXPECT_NE(hash({"ab", "c"}), hash({"a", "bc"}));
  EXPECT_NE(hash({"", "abc"}), hash({"abc", ""}));
  // Names as fleets number them, of every length a load covers: no two
  // alike, and the low bits (a Swiss table's tag) take every value.
  std::set<size_t> seen;
  std::set<size_t> tags;
  size_t keys = 0;
  for (const std::string prefix : {"", "d", "dev-", "device-0000"}) {
    for (int i = 0; i < 20'000; ++i) {
      const size_t h = hash({"product-" + std::to_string(i % 3), prefix + std::to_string(i)});
      seen.insert(h);
      tags.insert(h & 0x7f);
      keys++;
    }
  }
  EXPECT_EQ(seen.size(), keys);
  EXPECT_EQ(tags.size(), 128u);
}

}  // namespace
}  // namespace ota
