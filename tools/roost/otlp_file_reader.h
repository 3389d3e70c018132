#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/decoded_batch.h"
#include "storage/result.h"

namespace roost::cli {

// How the OTLP export requests of a file are laid out.
enum class OtlpFileFormat : uint8_t {
  kJson,               // one OTLP/JSON request, or several (JSON lines, or concatenated values)
  kProtobufDelimited,  // protobuf requests, each preceded by its length as a varint
  kProtobufSingle,     // the whole file is one protobuf ExportTraceServiceRequest
};

// "JSON", "length-delimited protobuf", "protobuf".
std::string_view OtlpFileFormatName(OtlpFileFormat format);

// The bytes of an OTLP file: the file mapped into memory, or, for a gzip file (magic bytes
// 1f 8b), its decompressed content. Immutable; thread-safe.
class OtlpFileContent {
 public:
  // kNotFound when the file does not exist, kIOError when it cannot be read, kInvalidArgument
  // for a corrupt gzip stream or one that decompresses to more than `max_decompressed_bytes`.
  // Messages name the file.
  static Result<std::unique_ptr<OtlpFileContent>> Open(const std::string& path,
                                                       size_t max_decompressed_bytes);
  ~OtlpFileContent();
  OtlpFileContent(const OtlpFileContent&) = delete;
  OtlpFileContent& operator=(const OtlpFileContent&) = delete;

  // The (decompressed) content; valid while this object lives.
  std::string_view bytes() const { return bytes_; }
  // The size of the file on disk (compressed size for a gzip file).
  uint64_t file_bytes() const { return file_bytes_; }
  bool gzipped() const { return gzipped_; }

 private:
  OtlpFileContent() = default;

  void* mapping_ = nullptr;  // from mmap(2), unmapped by the destructor; null when not mapped
  size_t mapping_bytes_ = 0;
  std::string decompressed_;
  bool gzipped_ = false;
  std::string_view bytes_;
  uint64_t file_bytes_ = 0;
};

// One export request inside a file's content.
struct OtlpRequestSlice {
  std::string_view body;
  size_t index = 0;       // 0-based position of the request in the file
  size_t line = 0;        // 1-based line where it starts (JSON only; 0 for protobuf)
  size_t end_offset = 0;  // offset just past the request in the content
};

// Where a request sits, for messages, counting from 1: "request 3 (line 3)" for JSON,
// "request 3 (byte 4711)" for protobuf.
std::string DescribeRequestPosition(const OtlpRequestSlice& slice);

// Cuts file content into export requests, one at a time, without copying.
//   kJson: whitespace-separated JSON values (so JSON lines, one pretty-printed object, or
//     several), found by matching braces outside strings; each value is one request.
//   kProtobufDelimited: varint length, then that many bytes, repeated to the end.
//   kProtobufSingle: the whole content (one request; none when the content is empty).
// Thread-compatible; `content` must outlive the splitter and the slices.
class OtlpRequestSplitter {
 public:
  OtlpRequestSplitter(std::string_view content, OtlpFileFormat format)
      : content_(content), format_(format) {}

  // The next request, std::nullopt after the last one, or kInvalidArgument naming the position
  // when the content cannot be cut there (an unterminated JSON value, a length that runs past
  // the end). After an error, further calls repeat it.
  Result<std::optional<OtlpRequestSlice>> Next();

 private:
  Result<std::optional<OtlpRequestSlice>> NextJson();
  Result<std::optional<OtlpRequestSlice>> NextDelimited();

  std::string_view content_;
  OtlpFileFormat format_;
  size_t offset_ = 0;
  size_t index_ = 0;
  size_t line_ = 1;  // line at offset_ (JSON)
  bool done_ = false;
  Status error_;
};

// True when `content` is a whole number of varint-length-prefixed messages (at least one).
bool IsLengthDelimited(std::string_view content);

// Decodes one request body of a file in `format` (JSON or protobuf).
[[nodiscard]] Result<ingest::DecodedBatch> DecodeOtlpRequest(std::string_view body,
                                                             OtlpFileFormat format,
                                                             const ingest::DecodeOptions& options);

// The format of a file, with its first request already decoded (so it need not be decoded
// twice).
struct DetectedOtlpFormat {
  OtlpFileFormat format = OtlpFileFormat::kProtobufSingle;
  ingest::DecodedBatch first_request;
};

// Tells the layout of `content` by looking at it: a first non-space byte '{' means JSON;
// otherwise protobuf, length-delimited when the lengths tile the whole content, else a single
// request. The guess is confirmed by decoding the first request; when that fails or finds no
// span, the other layouts are tried (a protobuf body may begin with "\n{"), and the first whose
// first request decodes to at least one span wins. kInvalidArgument when none decodes, with the
// error of the most likely layout, naming the request position; also for empty content.
[[nodiscard]] Result<DetectedOtlpFormat> DetectOtlpFormat(std::string_view content,
                                                          const ingest::DecodeOptions& options);

}  // namespace roost::cli
