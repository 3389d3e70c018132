#include "tools/roost/otlp_file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "ingest/decompress.h"
#include "ingest/json_decoder.h"
#include "ingest/protobuf_decoder.h"

#include <sys/mman.h>
#include <sys/stat.h>

namespace roost::cli {
namespace {

// A varint longer than this cannot be a 64-bit length.
constexpr int kMaxVarintBytes = 10;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads a base-128 varint at *offset; false when it is cut short or longer than 64 bits.
bool ReadVarint(std::string_view content, size_t* offset, uint64_t* value) {
  uint64_t v = 0;
  for (int i = 0; i < kMaxVarintBytes && *offset < content.size(); ++i) {
    const auto byte = static_cast<uint8_t>(content[(*offset)++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

std::string ErrnoText() { return std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

std::string_view OtlpFileFormatName(OtlpFileFormat format) {
  switch (format) {
    case OtlpFileFormat::kJson:
      return "JSON";
    case OtlpFileFormat::kProtobufDelimited:
      return "length-delimited protobuf";
    case OtlpFileFormat::kProtobufSingle:
      return "protobuf";
  }
  return "unknown";
}

Result<std::unique_ptr<OtlpFileContent>> OtlpFileContent::Open(const std::string& path,
                                                               size_t max_decompressed_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + ErrnoText());
  }
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IOError(path + ": cannot stat: " + ErrnoText());
  if (!S_ISREG(st.st_mode)) return Status::IOError(path + ": not a regular file");
  std::unique_ptr<OtlpFileContent> content(new OtlpFileContent());
  content->file_bytes_ = static_cast<uint64_t>(st.st_size);
  if (st.st_size == 0) return content;
  const auto size = static_cast<size_t>(st.st_size);
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED) return Status::IOError(path + ": cannot map: " + ErrnoText());
  content->mapping_ = mapping;
  content->mapping_bytes_ = size;
  // Read front to back once; let the kernel read ahead.
  ::madvise(mapping, size, MADV_SEQUENTIAL);
  const std::string_view raw(static_cast<const char*>(mapping), size);
  content->bytes_ = raw;
  if (raw.size() >= 2 && static_cast<uint8_t>(raw[0]) == 0x1f &&
      static_cast<uint8_t>(raw[1]) == 0x8b) {
    Result<std::string> inflated =
        ingest::Decompress(raw, ingest::ContentEncoding::kGzip, max_decompressed_bytes);
    if (!inflated.ok()) return Status::InvalidArgument(path + ": " + inflated.status().message());
    content->decompressed_ = std::move(inflated).value();
    content->gzipped_ = true;
    content->bytes_ = content->decompressed_;
    ::munmap(content->mapping_, content->mapping_bytes_);
    content->mapping_ = nullptr;
  }
  return content;
}

OtlpFileContent::~OtlpFileContent() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

std::string DescribeRequestPosition(const OtlpRequestSlice& slice) {
  std::string out = "request " + std::to_string(slice.index + 1);
  if (slice.line > 0) return out + " (line " + std::to_string(slice.line) + ")";
  return out + " (byte " + std::to_string(slice.end_offset - slice.body.size()) + ")";
}

Result<std::optional<OtlpRequestSlice>> OtlpRequestSplitter::Next() {
  if (!error_.ok()) return error_;
  if (done_) return std::optional<OtlpRequestSlice>();
  Result<std::optional<OtlpRequestSlice>> next = std::optional<OtlpRequestSlice>();
  switch (format_) {
    case OtlpFileFormat::kJson:
      next = NextJson();
      break;
    case OtlpFileFormat::kProtobufDelimited:
      next = NextDelimited();
      break;
    case OtlpFileFormat::kProtobufSingle:
      done_ = true;
      if (content_.empty()) break;
      next = std::optional<OtlpRequestSlice>(OtlpRequestSlice{content_, 0, 0, content_.size()});
      break;
  }
  if (!next.ok()) error_ = next.status();
  if (next.ok() && !next->has_value()) done_ = true;
  if (next.ok() && next->has_value()) ++index_;
  return next;
}

// Matches braces and brackets outside strings (with escapes) to find where one JSON value ends;
// DecodeJson checks everything else.
Result<std::optional<OtlpRequestSlice>> OtlpRequestSplitter::NextJson() {
  while (offset_ < content_.size() && IsJsonSpace(content_[offset_])) {
    if (content_[offset_] == '\n') ++line_;
    ++offset_;
  }
  if (offset_ == content_.size()) return std::optional<OtlpRequestSlice>();
  const size_t begin = offset_;
  const size_t begin_line = line_;
  const std::string where =
      "request " + std::to_string(index_ + 1) + " (line " + std::to_string(begin_line) + ")";
  if (content_[begin] != '{') {
    char found[8];
    std::snprintf(found, sizeof(found), "0x%02x", static_cast<uint8_t>(content_[begin]));
    return Status::InvalidArgument(where + ": expected a JSON object ('{'), found byte " + found);
  }
  int64_t depth = 0;
  bool in_string = false;
  size_t i = begin;
  for (; i < content_.size(); ++i) {
    const char c = content_[i];
    if (c == '\n') ++line_;
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string (a newline here is invalid JSON)
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      break;
    }
  }
  if (i >= content_.size()) {
    return Status::InvalidArgument(where +
                                   ": the JSON value is not terminated before the end of "
                                   "the file (truncated?)");
  }
  offset_ = i + 1;
  return std::optional<OtlpRequestSlice>(
      OtlpRequestSlice{content_.substr(begin, offset_ - begin), index_, begin_line, offset_});
}

Result<std::optional<OtlpRequestSlice>> OtlpRequestSplitter::NextDelimited() {
  if (offset_ == content_.size()) return std::optional<OtlpRequestSlice>();
  const size_t begin = offset_;
  const std::string where =
      "request " + std::to_string(index_ + 1) + " (byte " + std::to_string(begin) + ")";
  uint64_t length = 0;
  if (!ReadVarint(content_, &offset_, &length)) {
    return Status::InvalidArgument(where + ": the length prefix is cut short or malformed");
  }
  if (length > content_.size() - offset_) {
    return Status::InvalidArgument(
        where + ": length " + std::to_string(length) + " runs past the end of the file (" +
        std::to_string(content_.size() - offset_) + " bytes left; truncated?)");
  }
  const size_t body_begin = offset_;
  offset_ += static_cast<size_t>(length);
  return std::optional<OtlpRequestSlice>(OtlpRequestSlice{
      content_.substr(body_begin, static_cast<size_t>(length)), index_, 0, offset_});
}

bool IsLengthDelimited(std::string_view content) {
  size_t offset = 0;
  size_t frames = 0;
  // Every pass consumes at least one byte, so this ends within content.size() passes.
  while (offset < content.size()) {
    uint64_t length = 0;
    if (!ReadVarint(content, &offset, &length) || length > content.size() - offset) return false;
    offset += static_cast<size_t>(length);
    ++frames;
  }
  return frames > 0;
}

Result<ingest::DecodedBatch> DecodeOtlpRequest(std::string_view body, OtlpFileFormat format,
                                               const ingest::DecodeOptions& options) {
  Result<ingest::DecodedBatch> batch = format == OtlpFileFormat::kJson
                                           ? ingest::DecodeJson(body, options)
                                           : ingest::DecodeProtobuf(body, options);
  if (batch.ok()) return batch;
  return Status::InvalidArgument(std::string(format == OtlpFileFormat::kJson
                                                 ? "not an OTLP/JSON export request: "
                                                 : "not an OTLP protobuf export request: ") +
                                 batch.status().message());
}

Result<DetectedOtlpFormat> DetectOtlpFormat(std::string_view content,
                                            const ingest::DecodeOptions& options) {
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return Status::InvalidArgument("the file is empty: no OTLP export request in it");
  }
  std::vector<OtlpFileFormat> candidates;
  if (content[first] == '{') candidates.push_back(OtlpFileFormat::kJson);
  if (IsLengthDelimited(content)) candidates.push_back(OtlpFileFormat::kProtobufDelimited);
  candidates.push_back(OtlpFileFormat::kProtobufSingle);

  Status first_error;
  std::optional<DetectedOtlpFormat> empty_but_valid;
  for (OtlpFileFormat format : candidates) {
    OtlpRequestSplitter splitter(content, format);
    Result<std::optional<OtlpRequestSlice>> slice = splitter.Next();
    if (!slice.ok() || !slice->has_value()) {
      if (first_error.ok() && !slice.ok()) first_error = slice.status();
      continue;
    }
    Result<ingest::DecodedBatch> batch = DecodeOtlpRequest((*slice)->body, format, options);
    if (!batch.ok()) {
      if (first_error.ok()) {
        first_error = Status::InvalidArgument(DescribeRequestPosition(**slice) + ": " +
                                              batch.status().message());
      }
      continue;
    }
    if (batch->spans.empty() && batch->rejected_count == 0) {
      if (!empty_but_valid) empty_but_valid = DetectedOtlpFormat{format, std::move(batch).value()};
      continue;
    }
    return DetectedOtlpFormat{format, std::move(batch).value()};
  }
  if (empty_but_valid) return std::move(*empty_but_valid);
  return first_error;
}

}  // namespace roost::cli
