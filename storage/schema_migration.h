// The store's schema versions and the steps between them.
//
// A database records the schema version that wrote it (meta
// "schema_version"). A newer build opening an older database runs every
// step from that version up, inside the same write transaction that
// records the new version: a crash or a failing step leaves the database
// exactly as it was. A database newer than this build is refused, unchanged.
//
// To change the schema: append a step here, with a unit test that opens the
// fixture of the previous version (tests/fixtures/, README there).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ota {

// What a migration step may touch: the meta database of the open write
// transaction. (Steps that rewrite records would add accessors here.)
class SchemaTxn {
 public:
  virtual ~SchemaTxn() = default;
  virtual std::optional<std::string> get_meta(std::string_view key) = 0;
  virtual void put_meta(std::string_view key, std::string_view value) = 0;
};

struct SchemaStep {
  uint64_t to;            // takes a database from version to-1 to this
  std::string_view what;  // one line for logs and docs/operations.md
  void (*apply)(SchemaTxn& txn);
};

// Every step, in order.
std::span<const SchemaStep> schema_steps();

// The schema version this build writes: the last step's.
inline constexpr uint64_t kLmdbSchemaVersion = 2;

// Runs the steps after version `from` (1 <= from <= kLmdbSchemaVersion);
// returns what each step did, in order. Does not record the new version.
std::vector<std::string> migrate_schema(SchemaTxn& txn, uint64_t from);

// The meta key of the store's identity (schema 2): 32 hex digits, random,
// made once per database and kept by backups and restores.
inline constexpr std::string_view kStoreIdKey = "store_id";

}  // namespace ota
