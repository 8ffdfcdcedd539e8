// What the service needs of a store beyond the engine's reads and writes:
// grouping one broker loop iteration's writes into a batch, and choosing
// when a batch reaches the disk. The engine side owns this interface so the
// service depends on no storage code and tests can hand it a store that
// fails (tests/unit/fault_injection_store.h). storage/lmdb_store.h
// implements it.
//
// Contract:
// - The first write or read after commit()/abort() begins a batch; every
//   Store call until the next commit()/abort() belongs to it.
// - commit(durable) makes the batch permanent (it survives a crash of the
//   process); with `durable` it also flushes every commit so far to disk
//   before returning (it survives a crash of the machine). No batch open:
//   only the flush, if asked.
// - abort() discards the open batch's writes; nothing of it is ever read.
// - sync() flushes every commit so far to disk.
// - A failing commit() or sync() throws StoreError; the batch is then lost
//   whole (the caller drops what it caused) and the next call begins afresh.
#pragma once

#include "engine/store.h"

namespace ota {

class TransactionalStore : public Store {
 public:
  virtual void commit(bool durable) = 0;
  virtual void abort() = 0;
  virtual bool in_transaction() const = 0;
  virtual void sync() = 0;
};

}  // namespace ota
