#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/column_view.h"
#include "storage/result.h"

namespace roost::internal {

// The store-wide string dictionaries (projects, span names, models, sessions, users): string <->
// u32 id, 0 being the empty string. Ids are assigned by the writer thread, in order, and persisted
// in the same WriteBatch as the rows that first use them; an id is never given to another string.
//
// Session and user ids are collectable: they grow without bound with traffic and may be personal
// data, so retention removes them once no stored row uses them. For each such id the dictionary
// keeps the newest hour bucket of any row written with it (its "last hour", persisted beside it);
// every row of an hour below the retention cutoff is gone, so an id whose last hour is below it is
// used by nothing. Projects, span names and models are few and kept for good. Thread-safe.
//
// On disk (the dict family; keys sort as listed, so one forward pass reads them in this order):
//   0x00 'n'            -> u32 next id of each kind (index 0 unused): ids once collected stay used
//   kind · string       -> u32 id
//   (kind|0x40) · id    -> u32 last hour (collectable kinds)
//   (kind|0x80) · id    -> string (not read at load: it repeats the forward entry)
class Dictionary {
 public:
  static constexpr bool Collectable(DictKind kind) {
    return kind == DictKind::kSession || kind == DictKind::kUser;
  }

  // Loads the dict family. A collectable id without a last hour (a data dir from before format
  // version 3) is never collected until ResolveUnknownHours gives it one.
  Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);
  // How many collectable ids have no last hour (data dirs from before format version 3).
  size_t unknown_hours() const;
  // Gives every collectable id without a last hour `hour` (which must be at least the hour of
  // every stored row), adding its entry to `batch`; returns how many.
  size_t ResolveUnknownHours(uint32_t hour, rocksdb::WriteBatch* batch,
                             rocksdb::ColumnFamilyHandle* cf);

  // Returns the id of `value`, assigning the next one when new and adding its entries to
  // `batch`, and notes that a row of hour bucket `hour` uses it (a collectable id whose last hour
  // is older gets a new one in `batch`). Changes stay pending until Commit() (or are undone by
  // Abort()). Writer thread only.
  uint32_t Intern(DictKind kind, std::string_view value, uint32_t hour, rocksdb::WriteBatch* batch,
                  rocksdb::ColumnFamilyHandle* cf);
  void Commit();
  void Abort();

  // Collection, run where no Intern can interleave (the caller holds the writer out): Prepare
  // adds to `batch` the deletion of every collectable string whose last hour is below `cutoff`
  // and returns how many; after `batch` is written, FinishCollect drops them from memory (after a
  // failed write, AbortCollect forgets them instead).
  size_t PrepareCollect(uint32_t cutoff, rocksdb::WriteBatch* batch,
                        rocksdb::ColumnFamilyHandle* cf);
  void FinishCollect();
  void AbortCollect();

  std::optional<uint32_t> Find(DictKind kind, std::string_view value) const;
  // nullopt when the id is unknown (never given, or collected).
  std::optional<std::string> Lookup(DictKind kind, uint32_t id) const;
  // The largest id given so far (ids 1..max_id, minus collected ones).
  uint32_t max_id(DictKind kind) const;
  // Strings held now, of every kind.
  size_t strings() const;

 private:
  // Heterogeneous lookup: find by string_view without building a std::string.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Slot {
    uint32_t id = 0;
    uint32_t last_hour = 0;  // collectable kinds only
  };
  using ByString = std::unordered_map<std::string, Slot, StringHash, std::equal_to<>>;
  // Each string is kept once, as a key of by_string (whose nodes never move); by_id points at
  // its entry.
  struct Table {
    ByString by_string;
    std::unordered_map<uint32_t, ByString::value_type*> by_id;
    uint32_t next_id = 1;
  };
  struct Undo {
    DictKind kind;
    uint32_t id;
    bool added;              // a new id (else a raised last hour)
    uint32_t previous_hour;  // when raised
  };
  static void PutHour(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, DictKind kind,
                      uint32_t id, uint32_t hour);

  mutable std::shared_mutex mu_;
  std::array<Table, kDictKindCount> tables_;  // guarded by mu_
  size_t unknown_hours_ = 0;                  // guarded by mu_
  std::vector<Undo> pending_;                 // writer thread only
  std::vector<std::pair<DictKind, uint32_t>> collecting_;
};

}  // namespace roost::internal
