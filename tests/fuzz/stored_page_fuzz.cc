#include "storage/internal/record_codec.h"
#include "storage/internal/record_pack.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/ingest/test_protobuf_paths.h"

namespace roost::fuzz {
namespace {

std::string NotCorruption(std::string_view what, const Status& s) {
  if (s.code() == Status::Code::kCorruption) return "";
  return std::string(what) + " failed with " + s.ToString() + " instead of kCorruption";
}

// Each record of `reader` decodes to a span, or to kCorruption; a span that decodes re-encodes
// (as a compact record) to a record that decodes to the same span.
std::string CheckRecords(const internal::RecordPackReader& reader, std::vector<Span>* spans) {
  for (size_t i = 0; i < reader.count(); ++i) {
    Result<Span> span = internal::DecodeRecord(reader.format(), reader.Record(i));
    if (!span.ok()) {
      if (std::string f = NotCorruption("a record", span.status()); !f.empty()) return f;
      spans->emplace_back();  // a placeholder: partial reads compare by position
      continue;
    }
    const Result<Span> again = internal::DecodeSpanRecord(internal::EncodeSpanRecord(*span));
    if (!again.ok()) return "a decoded record re-encoded fails: " + again.status().ToString();
    if (const std::string d = testing::DiffSpan(*span, *again); !d.empty()) {
      return "record " + std::to_string(i) + " re-encoded decodes differently:" + d;
    }
    spans->push_back(*std::move(span));
  }
  return "";
}

}  // namespace

std::string StoredPage(std::string_view input) {
  // The input as a stored page (compressed or bare), and as a bare pack.
  std::string scratch;
  std::vector<Span> whole;
  const Result<internal::RecordPackReader> page = internal::ReadStoredPage(input, &scratch);
  if (!page.ok()) {
    if (std::string f = NotCorruption("ReadStoredPage", page.status()); !f.empty()) return f;
  } else if (std::string f = CheckRecords(*page, &whole); !f.empty()) {
    return f;
  }
  // Partial reads give a prefix of the same records.
  for (size_t last : {size_t{0}, size_t{2}, size_t{255}}) {
    std::string partial_scratch;
    const Result<internal::RecordPackReader> part =
        internal::ReadStoredPageUpTo(input, last, &partial_scratch);
    if (!part.ok()) {
      if (std::string f = NotCorruption("ReadStoredPageUpTo", part.status()); !f.empty()) return f;
      continue;
    }
    if (part->count() > last + 1) {
      return "ReadStoredPageUpTo(" + std::to_string(last) + ") gave " +
             std::to_string(part->count()) + " records";
    }
    std::vector<Span> prefix;
    if (std::string f = CheckRecords(*part, &prefix); !f.empty()) return f;
    if (!page.ok()) continue;  // a partial read does not check what lies past its records
    if (part->count() != std::min(page->count(), last + 1)) {
      return "ReadStoredPageUpTo(" + std::to_string(last) + ") gave " +
             std::to_string(part->count()) + " of " + std::to_string(page->count()) + " records";
    }
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (const std::string d = testing::DiffSpan(whole[i], prefix[i]); !d.empty()) {
        return "record " + std::to_string(i) + " reads differently in part:" + d;
      }
    }
  }
  const Result<internal::RecordPackReader> pack = internal::RecordPackReader::Open(input);
  if (!pack.ok()) return NotCorruption("RecordPackReader::Open", pack.status());
  if (pack->format() == internal::RecordFormat::kFlatBuffers) {
    // FlatBuffers records are read in place from an 8-aligned pack, as OpenStoredPage gives.
    std::string aligned(input);
    const Result<internal::RecordPackReader> at = internal::RecordPackReader::Open(aligned);
    std::vector<Span> spans;
    return at.ok() ? CheckRecords(*at, &spans)
                   : NotCorruption("RecordPackReader::Open", at.status());
  }
  std::vector<Span> spans;
  return CheckRecords(*pack, &spans);
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::StoredPage)
