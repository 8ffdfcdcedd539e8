#include "storage/record_cache.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ota {
namespace {

using Cache = RecordCache<int, std::string>;

std::vector<std::pair<int, std::string>> written(Cache& cache) {
  std::vector<std::pair<int, std::string>> out;
  cache.write_back([&](int key, const std::string& record) { out.emplace_back(key, record); });
  return out;
}

TEST(RecordCache, FindsWhatWasPutAndNothingElse) {
  Cache cache(10);
  cache.put(1, "one");
  cache.put(2, "two");
  ASSERT_NE(cache.find(1), nullptr);
  EXPECT_EQ(*cache.find(1), "one");
  EXPECT_EQ(*cache.find(2), "two");
  EXPECT_EQ(*cache.find(1), "one");  // again, after another key was found
  EXPECT_EQ(cache.find(3), nullptr);
  EXPECT_EQ(cache.change(3), nullptr);
}

TEST(RecordCache, AChangeIsWrittenBackOnceInKeyOrder) {
  Cache cache(10);
  cache.put(2, "two");
  cache.put(1, "one");
  *cache.change(2) = "TWO";
  *cache.change(2) = "Two";  // the same record, found by the last lookup
  *cache.change(1) = "One";
  EXPECT_TRUE(cache.has_dirty());
  EXPECT_EQ(written(cache), (std::vector<std::pair<int, std::string>>{{1, "One"}, {2, "Two"}}));
  EXPECT_FALSE(cache.has_dirty());
  EXPECT_TRUE(written(cache).empty());
}

TEST(RecordCache, PutOverADirtyRecordIsNotWrittenBack) {
  Cache cache(10);
  cache.put_dirty(1, "dirty");
  cache.put(1, "as read");
  EXPECT_FALSE(cache.has_dirty());
  EXPECT_EQ(*cache.find(1), "as read");
}

TEST(RecordCache, AHandleReachesItsRecordUntilTheCacheForgetsAny) {
  Cache cache(1);
  cache.put(1, "one");
  cache.put(2, "two");
  const Cache::Handle one = cache.handle(1);
  ASSERT_NE(cache.find_at(one), nullptr);
  EXPECT_EQ(*cache.find_at(one), "one");
  cache.put(1, "ONE");  // replaced in place: the handle still holds
  EXPECT_EQ(*cache.find_at(one), "ONE");
  *cache.change_at(one) = "One";
  EXPECT_EQ(written(cache), (std::vector<std::pair<int, std::string>>{{1, "One"}}));
  EXPECT_EQ(cache.find_at(cache.handle(3)), nullptr);  // not cached: an empty handle
  EXPECT_EQ(cache.change_at(Cache::Handle{}), nullptr);

  cache.erase(2);  // any record forgotten: every older handle is stale
  EXPECT_EQ(cache.find_at(one), nullptr);
  EXPECT_EQ(cache.change_at(one), nullptr);
  EXPECT_FALSE(cache.has_dirty());
  const Cache::Handle again = cache.handle(1);
  EXPECT_EQ(*cache.find_at(again), "One");
  cache.put(2, "two");
  EXPECT_EQ(*cache.find_at(again), "One");  // a record added: nothing forgotten
  cache.trim();  // over capacity: forgets everything
  EXPECT_EQ(cache.find_at(again), nullptr);
  cache.put(1, "one");  // the same key again, in a new node
  const Cache::Handle fresh = cache.handle(1);
  cache.clear();
  EXPECT_EQ(cache.find_at(fresh), nullptr);
}

TEST(RecordCache, AnErasedRecordIsNotFoundEvenRightAfterItsLookup) {
  Cache cache(10);
  cache.put(1, "one");
  ASSERT_NE(cache.find(1), nullptr);
  *cache.change(1) = "changed";
  cache.erase(1);
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_EQ(cache.change(1), nullptr);
  EXPECT_TRUE(written(cache).empty());
  cache.put(1, "again");
  EXPECT_EQ(*cache.find(1), "again");
}

TEST(RecordCache, TrimForgetsTheRecordsNotUsedLatelyAndOnlyWhenClean) {
  Cache cache(4);  // a generation: more than two records
  cache.put(1, "one");
  cache.put(2, "two");
  cache.trim();
  EXPECT_EQ(cache.size(), 2u);  // within a generation: kept
  cache.put(3, "three");
  *cache.change(3) = "dirty";
  cache.trim();
  EXPECT_EQ(cache.size(), 3u);  // dirty: nothing is forgotten
  written(cache);
  cache.trim();  // 1, 2, 3 become the old generation
  EXPECT_EQ(*cache.find(3), "dirty");  // used again: young again
  cache.put(4, "four");
  cache.put(5, "five");
  cache.trim();  // 3, 4, 5 fill the young generation: 1 and 2 are forgotten
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_EQ(cache.find(2), nullptr);
  EXPECT_EQ(*cache.find(3), "dirty");
  EXPECT_EQ(*cache.find(5), "five");
  EXPECT_EQ(cache.size(), 3u);

  Cache none(0);  // keeps only what is dirty
  none.put(1, "one");
  none.trim();
  EXPECT_EQ(none.find(1), nullptr);
}

TEST(RecordCache, ClearForgetsTheLastLookup) {
  Cache cache(10);
  cache.put(1, "one");
  ASSERT_NE(cache.find(1), nullptr);
  cache.clear();
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_FALSE(cache.has_dirty());
}

}  // namespace
}  // namespace ota
