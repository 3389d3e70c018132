#include "storage/internal/dictionary.h"

#include <memory>
#include <mutex>

#include "storage/internal/store_db.h"
#include "storage/key_codec.h"

namespace roost::internal {

Status Dictionary::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  // Read once, front to back: not worth the block cache's room.
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = size_t{2} << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  std::unique_lock lock(mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    if (key.empty()) return Status::Corruption("dictionary entry with an empty key");
    auto kind_byte = static_cast<uint8_t>(key[0]);
    // Reverse entries (kind | 0x80) sort after every forward one and carry nothing they lack.
    if (kind_byte & 0x80) break;
    if (kind_byte == 0 || kind_byte >= kDictKindCount || it->value().size() != 4) {
      return Status::Corruption("dictionary entry with kind " + std::to_string(kind_byte) +
                                " is malformed");
    }
    uint32_t id = keys::GetU32(it->value().data());
    Table& t = tables_[kind_byte];
    if (id == 0 || id > (1u << 30)) return Status::Corruption("dictionary id out of range");
    if (t.strings.size() <= id) t.strings.resize(id + 1);
    if (key.size() == 1) return Status::Corruption("dictionary entry with an empty string");
    // An id given twice would replace a string the map still views.
    if (!t.strings[id].empty()) {
      return Status::Corruption("dictionary id " + std::to_string(id) + " is given twice");
    }
    t.strings[id].assign(key.data() + 1, key.size() - 1);
    t.ids.emplace(t.strings[id], id);
  }
  return FromRocks(it->status(), "loading dictionary");
}

uint32_t Dictionary::Intern(DictKind kind, std::string_view value, rocksdb::WriteBatch* batch,
                            rocksdb::ColumnFamilyHandle* cf) {
  if (value.empty()) return 0;
  Table& t = tables_[static_cast<int>(kind)];
  {
    std::shared_lock lock(mu_);
    auto it = t.ids.find(value);
    if (it != t.ids.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto id = static_cast<uint32_t>(t.strings.size());
  t.ids.emplace(t.strings.emplace_back(value), id);
  pending_.emplace_back(kind, id);
  std::string id_bytes;
  keys::PutU32(&id_bytes, id);
  batch->Put(cf, keys::EncodeDictKey(kind, value), id_bytes).PermitUncheckedError();
  batch->Put(cf, keys::EncodeDictReverseKey(kind, id), value).PermitUncheckedError();
  return id;
}

void Dictionary::Commit() { pending_.clear(); }

void Dictionary::Abort() {
  std::unique_lock lock(mu_);
  // Ids are assigned in order, so the pending ones are the tails of their tables.
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    Table& t = tables_[static_cast<int>(it->first)];
    if (t.strings.size() == it->second + 1) {
      t.ids.erase(t.strings.back());
      t.strings.pop_back();
    }
  }
  pending_.clear();
}

std::optional<uint32_t> Dictionary::Find(DictKind kind, std::string_view value) const {
  if (value.empty()) return 0;
  std::shared_lock lock(mu_);
  const Table& t = tables_[static_cast<int>(kind)];
  auto it = t.ids.find(value);
  if (it == t.ids.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Dictionary::Lookup(DictKind kind, uint32_t id) const {
  std::shared_lock lock(mu_);
  const Table& t = tables_[static_cast<int>(kind)];
  if (id >= t.strings.size()) return std::nullopt;
  return t.strings[id];
}

size_t Dictionary::size(DictKind kind) const {
  std::shared_lock lock(mu_);
  return tables_[static_cast<int>(kind)].strings.size() - 1;
}

}  // namespace roost::internal
