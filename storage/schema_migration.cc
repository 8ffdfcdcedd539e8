#include "storage/schema_migration.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "engine/store.h"  // StoreError

namespace ota {
namespace {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StoreError(std::string("getrandom failed: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

// 1 -> 2: every database gets an identity, so that tools addressing several
// brokers (mosquitto_ota_ctrl --shards) can tell two addresses of one store
// from two stores.
void add_store_id(SchemaTxn& txn) {
  if (!txn.get_meta(kStoreIdKey)) txn.put_meta(kStoreIdKey, random_hex(16));
}

constexpr SchemaStep kSteps[] = {
    {2, "store identity (meta store_id)", &add_store_id},
};

static_assert(std::size(kSteps) > 0 && kSteps[std::size(kSteps) - 1].to == kLmdbSchemaVersion,
              "kLmdbSchemaVersion must be the last step's version");

}  // namespace

std::span<const SchemaStep> schema_steps() { return kSteps; }

std::vector<std::string> migrate_schema(SchemaTxn& txn, uint64_t from) {
  std::vector<std::string> done;
  for (const SchemaStep& step : kSteps) {
    if (step.to <= from) continue;
    step.apply(txn);
    done.push_back("schema " + std::to_string(step.to - 1) + " -> " +
                   std::to_string(step.to) + ": " + std::string(step.what));
  }
  return done;
}

}  // namespace ota
