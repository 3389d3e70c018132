#include "storage/internal/dictionary.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "storage/internal/store_db.h"
#include "storage/key_codec.h"

namespace roost::internal {
namespace {

constexpr uint32_t kHourUnknown = UINT32_MAX;  // no last-hour entry: never collected

Status Malformed(uint8_t kind_byte) {
  return Status::Corruption("dictionary entry with kind " + std::to_string(kind_byte) +
                            " is malformed");
}

}  // namespace

void Dictionary::PutHour(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, DictKind kind,
                         uint32_t id, uint32_t hour) {
  std::string value;
  keys::PutU32(&value, hour);
  batch->Put(cf, keys::EncodeDictHourKey(kind, id), value).PermitUncheckedError();
}

Status Dictionary::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  // Read once, front to back: not worth the block cache's room.
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = size_t{2} << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  std::unique_lock lock(mu_);
  std::array<uint32_t, kDictKindCount> persisted_next{};
  const std::string next_ids_key = keys::DictNextIdsKey();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    rocksdb::Slice value = it->value();
    if (key.empty()) return Status::Corruption("dictionary entry with an empty key");
    const auto first = static_cast<uint8_t>(key[0]);
    if (first == 0) {
      if (key == next_ids_key && value.size() == 4 * kDictKindCount) {
        for (int k = 0; k < kDictKindCount; ++k) {
          persisted_next[k] = keys::GetU32(value.data() + 4 * k);
        }
      } else {
        return Status::Corruption("dictionary state entry is malformed");
      }
      continue;
    }
    // Reverse entries (kind | 0x80) sort after every other one and carry nothing they lack.
    if (first & 0x80) break;
    const uint8_t kind_byte = first & 0x3f;
    if (kind_byte == 0 || kind_byte >= kDictKindCount || value.size() != 4) {
      return Malformed(first);
    }
    Table& t = tables_[kind_byte];
    if (first & 0x40) {  // last hour of an id, after every forward entry
      if (key.size() != 5 || !Collectable(static_cast<DictKind>(kind_byte))) {
        return Malformed(first);
      }
      auto found = t.by_id.find(keys::GetU32(key.data() + 1));
      // Written with the forward entry and deleted with it; a stray one names nothing.
      if (found == t.by_id.end()) continue;
      uint32_t& last_hour = found->second->second.last_hour;
      if (last_hour == kHourUnknown) --unknown_hours_;
      last_hour = keys::GetU32(value.data());
      continue;
    }
    const uint32_t id = keys::GetU32(value.data());
    if (id == 0 || id > (1u << 30)) return Status::Corruption("dictionary id out of range");
    if (key.size() == 1) return Status::Corruption("dictionary entry with an empty string");
    if (t.by_id.count(id) != 0) {
      return Status::Corruption("dictionary id " + std::to_string(id) + " is given twice");
    }
    auto node =
        t.by_string.emplace(std::string(key.data() + 1, key.size() - 1), Slot{id, kHourUnknown});
    t.by_id.emplace(id, &*node.first);
    t.next_id = std::max(t.next_id, id + 1);
    if (Collectable(static_cast<DictKind>(kind_byte))) ++unknown_hours_;
  }
  if (Status s = FromRocks(it->status(), "loading dictionary"); !s.ok()) return s;
  for (int k = 1; k < kDictKindCount; ++k) {
    tables_[k].next_id = std::max(tables_[k].next_id, persisted_next[k]);
  }
  return Status::OK();
}

size_t Dictionary::unknown_hours() const {
  std::shared_lock lock(mu_);
  return unknown_hours_;
}

size_t Dictionary::ResolveUnknownHours(uint32_t hour, rocksdb::WriteBatch* batch,
                                       rocksdb::ColumnFamilyHandle* cf) {
  std::unique_lock lock(mu_);
  size_t n = 0;
  for (int k = 1; k < kDictKindCount; ++k) {
    const auto kind = static_cast<DictKind>(k);
    if (!Collectable(kind)) continue;
    for (auto& [s, slot] : tables_[k].by_string) {
      if (slot.last_hour != kHourUnknown) continue;
      slot.last_hour = hour;
      PutHour(batch, cf, kind, slot.id, hour);
      ++n;
    }
  }
  unknown_hours_ = 0;
  return n;
}

uint32_t Dictionary::Intern(DictKind kind, std::string_view value, uint32_t hour,
                            rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf) {
  if (value.empty()) return 0;
  Table& t = tables_[static_cast<int>(kind)];
  const bool collectable = Collectable(kind);
  {
    std::shared_lock lock(mu_);
    auto it = t.by_string.find(value);
    if (it != t.by_string.end() && (!collectable || hour <= it->second.last_hour)) {
      return it->second.id;
    }
  }
  std::unique_lock lock(mu_);
  auto it = t.by_string.find(value);
  if (it != t.by_string.end()) {  // a collectable id used by a row newer than its last hour
    pending_.push_back(Undo{kind, it->second.id, false, it->second.last_hour});
    it->second.last_hour = hour;
    PutHour(batch, cf, kind, it->second.id, hour);
    return it->second.id;
  }
  const uint32_t id = t.next_id++;
  auto node = t.by_string.emplace(std::string(value), Slot{id, hour});
  t.by_id.emplace(id, &*node.first);
  pending_.push_back(Undo{kind, id, true, 0});
  std::string id_bytes;
  keys::PutU32(&id_bytes, id);
  batch->Put(cf, keys::EncodeDictKey(kind, value), id_bytes).PermitUncheckedError();
  batch->Put(cf, keys::EncodeDictReverseKey(kind, id), value).PermitUncheckedError();
  if (collectable) PutHour(batch, cf, kind, id, hour);
  return id;
}

void Dictionary::Commit() { pending_.clear(); }

void Dictionary::Abort() {
  std::unique_lock lock(mu_);
  // Undone newest first: ids are assigned in order, so an added one is its table's last.
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    Table& t = tables_[static_cast<int>(it->kind)];
    auto by_id = t.by_id.find(it->id);
    if (by_id == t.by_id.end()) continue;
    auto slot = t.by_string.find(by_id->second->first);
    if (it->added) {
      t.by_id.erase(by_id);
      t.by_string.erase(slot);
      t.next_id = it->id;
    } else {
      slot->second.last_hour = it->previous_hour;
    }
  }
  pending_.clear();
}

size_t Dictionary::PrepareCollect(uint32_t cutoff, rocksdb::WriteBatch* batch,
                                  rocksdb::ColumnFamilyHandle* cf) {
  std::shared_lock lock(mu_);
  collecting_.clear();
  for (int k = 1; k < kDictKindCount; ++k) {
    const auto kind = static_cast<DictKind>(k);
    if (!Collectable(kind)) continue;
    for (const auto& [s, slot] : tables_[k].by_string) {
      if (slot.last_hour >= cutoff) continue;
      batch->Delete(cf, keys::EncodeDictKey(kind, s)).PermitUncheckedError();
      batch->Delete(cf, keys::EncodeDictReverseKey(kind, slot.id)).PermitUncheckedError();
      batch->Delete(cf, keys::EncodeDictHourKey(kind, slot.id)).PermitUncheckedError();
      collecting_.emplace_back(kind, slot.id);
    }
  }
  if (collecting_.empty()) return 0;
  // Ids stay used once collected: a reader holding an older snapshot, or an index entry not yet
  // compacted away, may still name one.
  std::string next_ids;
  for (int k = 0; k < kDictKindCount; ++k) keys::PutU32(&next_ids, tables_[k].next_id);
  batch->Put(cf, keys::DictNextIdsKey(), next_ids).PermitUncheckedError();
  return collecting_.size();
}

void Dictionary::FinishCollect() {
  std::unique_lock lock(mu_);
  for (const auto& [kind, id] : collecting_) {
    Table& t = tables_[static_cast<int>(kind)];
    auto by_id = t.by_id.find(id);
    if (by_id == t.by_id.end()) continue;
    auto slot = t.by_string.find(by_id->second->first);
    t.by_id.erase(by_id);
    t.by_string.erase(slot);
  }
  collecting_.clear();
}

void Dictionary::AbortCollect() { collecting_.clear(); }

std::optional<uint32_t> Dictionary::Find(DictKind kind, std::string_view value) const {
  if (value.empty()) return 0;
  std::shared_lock lock(mu_);
  const Table& t = tables_[static_cast<int>(kind)];
  auto it = t.by_string.find(value);
  if (it == t.by_string.end()) return std::nullopt;
  return it->second.id;
}

std::optional<std::string> Dictionary::Lookup(DictKind kind, uint32_t id) const {
  if (id == 0) return std::string();
  std::shared_lock lock(mu_);
  const Table& t = tables_[static_cast<int>(kind)];
  auto it = t.by_id.find(id);
  if (it == t.by_id.end()) return std::nullopt;
  return it->second->first;
}

uint32_t Dictionary::max_id(DictKind kind) const {
  std::shared_lock lock(mu_);
  return tables_[static_cast<int>(kind)].next_id - 1;
}

size_t Dictionary::strings() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const Table& t : tables_) n += t.by_id.size();
  return n;
}

}  // namespace roost::internal
