#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/column_view.h"
#include "storage/result.h"

namespace roost::internal {

// The store-wide string dictionaries (projects, span names, models, sessions, users): string <->
// dense u32 id, 0 being the empty string. Append-only. Ids are assigned by the writer thread and
// persisted in the same WriteBatch as the rows that first use them. Thread-safe.
class Dictionary {
 public:
  // Loads every entry of the dict family.
  Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);

  // Returns the id of `value`, assigning the next one when new and adding its two entries to
  // `batch`. New ids stay pending until Commit() (or are forgotten by Abort()).
  uint32_t Intern(DictKind kind, std::string_view value, rocksdb::WriteBatch* batch,
                  rocksdb::ColumnFamilyHandle* cf);
  void Commit();
  void Abort();

  std::optional<uint32_t> Find(DictKind kind, std::string_view value) const;
  // nullopt when the id is unknown.
  std::optional<std::string> Lookup(DictKind kind, uint32_t id) const;
  size_t size(DictKind kind) const;

 private:
  // Heterogeneous lookup: find by string_view without building a std::string.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Each string is kept once: the map's keys view the strings, which a deque never moves (a
  // session id is ~36 bytes, and a store may know millions of them).
  struct Table {
    std::unordered_map<std::string_view, uint32_t, StringHash, std::equal_to<>> ids;
    std::deque<std::string> strings{std::string()};  // index = id
  };
  mutable std::shared_mutex mu_;
  std::array<Table, kDictKindCount> tables_;            // guarded by mu_
  std::vector<std::pair<DictKind, uint32_t>> pending_;  // writer thread only
};

}  // namespace roost::internal
