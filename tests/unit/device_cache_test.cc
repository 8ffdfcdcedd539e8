// DeviceCache: the decoded devices in front of LMDB, keyed by device.
#include "storage/device_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "storage/lmdb_keys.h"

namespace ota {
namespace {

Device device(const std::string& name, const std::string& version) {
  Device d;
  d.key = {"pk", name};
  d.modules["default"] = ModuleState{version, 1};
  return d;
}

struct WriteBack {
  std::vector<std::string> keys;
  std::vector<std::tuple<std::string, std::string, int>> counts;  // device, version, delta
};

WriteBack write_back(DeviceCache& cache) {
  WriteBack out;
  cache.write_back(
      [&](const std::string& key, const Device&) { out.keys.push_back(key); },
      [&](const Device& d, const std::string&, const std::string& version, int delta) {
        out.counts.emplace_back(d.key.device, version, delta);
      });
  return out;
}

TEST(DeviceCache, FindsWhatWasInsertedByDeviceAndKnowsItsLmdbKey) {
  DeviceCache cache(16);
  const DeviceKey a{"pk", "a"}, b{"pk", "b"};
  EXPECT_EQ(cache.find(a), nullptr);
  cache.insert_clean(a, lmdb_keys::device_key(a), device("a", "1.0"));
  cache.insert_clean(b, lmdb_keys::device_key(b), device("b", "2.0"));
  // Alternating lookups: the remembered last entry must never answer for
  // another device.
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(cache.find(a), nullptr);
    EXPECT_EQ(cache.find(a)->modules.at("default").version, "1.0");
    ASSERT_NE(cache.find(b), nullptr);
    EXPECT_EQ(cache.find(b)->modules.at("default").version, "2.0");
  }
  EXPECT_EQ(cache.lmdb_key(a), lmdb_keys::device_key(a));
  EXPECT_EQ(cache.find(DeviceKey{"pq", "a"}), nullptr);  // another product
  cache.clear();
  EXPECT_EQ(cache.find(a), nullptr);  // nothing remembered across a clear
  EXPECT_EQ(cache.find(b), nullptr);
}

TEST(DeviceCache, AKeyAloneIsNoRecordAndTheActiveJobIsKeptApart) {
  DeviceCache cache(16);
  const DeviceKey a{"pk", "a"};
  cache.lmdb_key(a);
  EXPECT_EQ(cache.find(a), nullptr);
  EXPECT_EQ(cache.active_job(a), nullptr);
  cache.set_active_job(a, std::nullopt);
  ASSERT_NE(cache.active_job(a), nullptr);
  EXPECT_FALSE(cache.active_job(a)->has_value());
  cache.set_active_job(a, JobId{7});
  EXPECT_EQ(*cache.active_job(a), std::optional<JobId>(7));
  EXPECT_EQ(cache.find(a), nullptr);  // still no record
}

TEST(DeviceCache, WritesBackInKeyOrderOnceWithTheVersionsMovedSinceTheLastWriteBack) {
  DeviceCache cache(16);
  const DeviceKey a{"pk", "a"}, b{"pk", "b"};
  cache.insert_clean(b, lmdb_keys::device_key(b), device("b", "1.0"));
  cache.put_dirty(b, device("b", "1.1"));
  cache.put_dirty(b, device("b", "1.2"));  // one write for both
  cache.put_dirty(a, device("a", "3.0"));  // new: nothing replaced
  EXPECT_TRUE(cache.has_dirty());
  WriteBack first = write_back(cache);
  EXPECT_EQ(first.keys, (std::vector<std::string>{lmdb_keys::device_key(a), lmdb_keys::device_key(b)}));
  EXPECT_EQ(first.counts, (std::vector<std::tuple<std::string, std::string, int>>{
                              {"a", "3.0", +1}, {"b", "1.0", -1}, {"b", "1.2", +1}}));
  EXPECT_FALSE(cache.has_dirty());
  // Back to what was written: written again, but no count moves.
  cache.put_dirty(b, device("b", "1.3"));
  cache.put_dirty(b, device("b", "1.2"));
  WriteBack second = write_back(cache);
  EXPECT_EQ(second.keys.size(), 1u);
  EXPECT_TRUE(second.counts.empty());
}

TEST(DeviceCache, TrimForgetsTheDevicesNotUsedLatelyButNeverADirtyRecord) {
  DeviceCache cache(4);  // a generation: more than two devices
  auto insert = [&](const char* name) {
    cache.insert_clean({"pk", name}, lmdb_keys::device_key({"pk", name}), device(name, "1"));
  };
  for (const char* name : {"a", "b", "c"}) insert(name);
  cache.put_dirty({"pk", "a"}, device("a", "2"));
  cache.trim();  // a record is dirty: nothing is forgotten
  EXPECT_EQ(cache.size(), 3u);
  write_back(cache);
  cache.trim();  // a, b, c become the old generation
  EXPECT_EQ(cache.size(), 3u);
  ASSERT_NE(cache.find({"pk", "a"}), nullptr);  // used again: young again
  EXPECT_EQ(cache.find({"pk", "a"})->modules.at("default").version, "2");
  for (const char* name : {"d", "e"}) insert(name);
  cache.trim();  // a, d, e: the young generation is full; b and c are forgotten
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find({"pk", "b"}), nullptr);
  EXPECT_EQ(cache.find({"pk", "c"}), nullptr);
  for (const char* name : {"a", "d", "e"}) EXPECT_NE(cache.find({"pk", name}), nullptr) << name;
  EXPECT_NE(cache.active({"pk", "a"}), nullptr);  // the index entry stays with the device

  DeviceCache none(0);  // keeps only what the open transaction changed
  none.insert_clean({"pk", "a"}, lmdb_keys::device_key({"pk", "a"}), device("a", "1"));
  none.trim();
  EXPECT_EQ(none.size(), 0u);
}

}  // namespace
}  // namespace ota
