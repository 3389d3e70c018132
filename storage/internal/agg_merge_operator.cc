#include "storage/internal/agg_merge_operator.h"

#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "storage/internal/aligned_value.h"
#include "storage/schema/roost_generated.h"

namespace roost::internal {
namespace {

class AggMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    Result<Aggregate> operand = DecodeAggregate(std::string_view(value.data(), value.size()));
    if (!operand.ok()) return false;
    if (existing == nullptr) {
      *new_value = EncodeAggregate(*operand);
      return true;
    }
    Result<Aggregate> base = DecodeAggregate(std::string_view(existing->data(), existing->size()));
    if (!base.ok()) return false;
    if (!base->Merge(*operand).ok()) return false;
    *new_value = EncodeAggregate(*base);
    return true;
  }
  const char* Name() const override { return "roost.AggMerge"; }
};

}  // namespace

std::string EncodeAggregate(const Aggregate& agg) {
  flatbuffers::FlatBufferBuilder b(256);
  std::string sketch = agg.duration.Serialize();
  auto sketch_vec = b.CreateVector(reinterpret_cast<const uint8_t*>(sketch.data()), sketch.size());
  fb::AggValueBuilder v(b);
  v.add_count(agg.count);
  v.add_errors(agg.errors);
  v.add_prompt_tokens(agg.prompt_tokens);
  v.add_completion_tokens(agg.completion_tokens);
  v.add_total_tokens(agg.total_tokens);
  v.add_cost_micros(agg.cost_micros);
  v.add_cost_spans(agg.cost_spans);
  v.add_sketch(sketch_vec);
  b.Finish(v.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<Aggregate> DecodeAggregate(std::string_view bytes) {
  AlignedValue aligned(bytes);
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!verifier.VerifyBuffer<fb::AggValue>(nullptr)) {
    return Status::Corruption("aggregate value fails verification");
  }
  const auto* v = flatbuffers::GetRoot<fb::AggValue>(aligned.data());
  Aggregate agg;
  agg.count = v->count();
  agg.errors = v->errors();
  agg.prompt_tokens = v->prompt_tokens();
  agg.completion_tokens = v->completion_tokens();
  agg.total_tokens = v->total_tokens();
  agg.cost_micros = v->cost_micros();
  agg.cost_spans = v->cost_spans();
  if (v->sketch() != nullptr) {
    Result<DdSketch> sketch = DdSketch::Deserialize(
        std::string_view(reinterpret_cast<const char*>(v->sketch()->data()), v->sketch()->size()));
    if (!sketch.ok()) return sketch.status();
    agg.duration = std::move(*sketch);
  }
  return agg;
}

std::shared_ptr<rocksdb::MergeOperator> NewAggMergeOperator() {
  return std::make_shared<AggMergeOperator>();
}

}  // namespace roost::internal
