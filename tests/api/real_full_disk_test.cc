// The `roost serve` binary (ROOST_BINARY, passed by CMake) on a data dir whose filesystem really
// fills up: a tmpfs mounted for the test (mount(2): needs CAP_SYS_ADMIN; skipped without it).
// Ingest fills it until a request is refused with the full-disk 503; reads, /healthz and /metrics
// go on; once the tmpfs is remounted larger, the refused request goes through without a restart,
// and the data dir then holds exactly the acknowledged spans.

#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp needs std::exchange
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/span_store.h"
#include "tests/api/test_client.h"
#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"
#include "tests/api/test_subprocess.h"

#include <sys/mount.h>

#ifndef ROOST_BINARY
#error "ROOST_BINARY must name the roost executable"
#endif

namespace roost::api {
namespace {

using nlohmann::json;
using testing::ClientResponse;
using testing::FreePort;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::SpanKey;
using testing::Subprocess;
using testing::TestClient;
using testing::Wire;

// Bounds on the child (ASan builds start slowly).
constexpr std::chrono::seconds kStartBound{60};
constexpr std::chrono::seconds kExitBound{60};
// How long a still-running child is given to show that it exited instead.
constexpr std::chrono::milliseconds kAliveCheck{200};
// Sizes of the tmpfs. RocksDB's memtables hold 64 MiB (store_db.cc), so on kWalFillsSize the WAL
// append of a commit is what meets the full disk, and on kFlushFillsSize (one memtable's WAL fits)
// the background flush of the first memtable is, which stops RocksDB's writes from behind.
// kLargeSize leaves room for both, plus the ~70 MiB RocksDB preallocates for a new WAL.
constexpr const char* kWalFillsSize = "size=48m";
constexpr const char* kFlushFillsSize = "size=100m";
constexpr const char* kLargeSize = "size=256m";
// Filling: requests of kSpansPerRequest spans, each with kFillerBytes of random hex in one
// attribute (incompressible but for hex's 2x, as roost stores records zstd-compressed). At most
// kMaxFillRequests requests (~290 MB compressed, almost three times the larger tmpfs).
constexpr size_t kSpansPerRequest = 16;
constexpr size_t kFillerBytes = 12 << 10;
constexpr int kMaxFillRequests = 3000;
// Bounds of the resend loop once the tmpfs has grown (20 s in all): writes resume at the store's
// next attempt to resume RocksDB, at most ~2 s after space is available.
constexpr int kMaxResendTries = 200;
constexpr auto kResendPause = std::chrono::milliseconds(100);
constexpr const char* kProject = "real-full-disk";

// `bytes` random lowercase hex digits.
std::string RandomHex(std::mt19937_64& rng, size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes);
  while (out.size() < bytes) {
    uint64_t bits = rng();
    for (int i = 0; i < 16 && out.size() < bytes; ++i, bits >>= 4) {
      out.push_back(kDigits[bits & 15]);
    }
  }
  return out;
}

// Trace number `trace` (kSpansPerRequest spans of kProject), each span carrying a filler attribute.
std::vector<Span> FillerTrace(uint32_t trace, std::mt19937_64& rng) {
  std::vector<Span> spans = testing::MakeTrace(trace, kSpansPerRequest, kProject);
  for (Span& s : spans) s.attributes.push_back({"test.filler", RandomHex(rng, kFillerBytes)});
  return spans;
}

// Expects the answer of a request refused for a full disk: 503, Retry-After, a JSON {"error"}
// naming the full disk.
void ExpectDiskFull(const ClientResponse& r, const std::string& what) {
  ASSERT_EQ(r.status, 503) << what << ": " << r.error << r.body;
  ASSERT_EQ(r.headers.count("retry-after"), 1u) << what;
  EXPECT_FALSE(r.headers.at("retry-after").empty()) << what;
  json body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << what << ": " << r.body;
  ASSERT_TRUE(body.contains("error") && body["error"].is_string()) << what << ": " << r.body;
  EXPECT_THAT(body["error"].get<std::string>(), HasSubstr("disk is full")) << what;
  // RocksDB's own text names files of the data dir: the server logs it, clients do not see it.
  EXPECT_THAT(r.body, Not(HasSubstr(::testing::TempDir()))) << what;
  EXPECT_THAT(r.body, Not(HasSubstr("No space left"))) << what;
}

// Expects a 200 that stored every span of the request.
void ExpectStored(const ClientResponse& r, const std::string& what) {
  ASSERT_EQ(r.status, 200) << what << ": " << r.error << r.body;
  testing::ExportResult result = testing::ParseExportResponse(r.body, Wire::kProtobuf);
  EXPECT_TRUE(result.parsed) << what;
  EXPECT_EQ(result.rejected_spans, 0) << what << ": " << result.error_message;
}

class RealFullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir();
    if (pattern.empty() || pattern.back() != '/') pattern += '/';
    pattern += "roost_real_full_disk.XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(mkdtemp(buffer.data()), nullptr) << pattern << ": " << std::strerror(errno);
    dir_ = buffer.data();
  }

  // Mounts a tmpfs of `size` ("size=48m") on dir_; false, with skip_reason_ set, when the process
  // may not (no CAP_SYS_ADMIN, as in an unprivileged container).
  bool Mount(const char* size) {
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, size) != 0) {
      skip_reason_ =
          "cannot mount a tmpfs on " + dir_ + " (needs CAP_SYS_ADMIN): " + std::strerror(errno);
      return false;
    }
    mounted_ = true;
    return true;
  }

  // The child goes first: nothing may keep the tmpfs busy when it is detached.
  void TearDown() override {
    serve_.reset();
    if (mounted_) {
      EXPECT_EQ(umount2(dir_.c_str(), MNT_DETACH), 0) << dir_ << ": " << std::strerror(errno);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      EXPECT_FALSE(ec) << dir_ << ": " << ec.message();
    }
  }

  // Starts `roost serve` on the tmpfs and a free port, and waits for its "listening" line.
  void Serve() {
    port_ = FreePort();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string error;
    serve_ = Subprocess::Start({ROOST_BINARY, "serve", "--data", data_dir(), "--listen", listen},
                               &error);
    ASSERT_NE(serve_, nullptr) << error;
    const std::string expected = "roost listening on http://" + listen;
    ASSERT_TRUE(serve_->WaitForLine(expected, kStartBound).has_value())
        << "no '" << expected << "' line; stdout: " << serve_->out()
        << " stderr: " << serve_->err();
  }

  // Fails the test if the child has exited (also drains its pipes, so that it never blocks on a
  // full one).
  void ExpectRunning(const std::string& what) {
    std::optional<int> code = serve_->Wait(kAliveCheck);
    ASSERT_FALSE(code.has_value())
        << "roost serve exited (" << *code << ") " << what << "; " << Output();
  }

  // Posts filler traces until one is refused; the acknowledged spans go to acknowledged_, the
  // refused request to *refused.
  void FillUntilRefused(TestClient& client, std::vector<Span>* refused) {
    std::mt19937_64 rng(20240611);
    for (int n = 0; n < kMaxFillRequests; ++n) {
      std::vector<Span> spans = FillerTrace(static_cast<uint32_t>(n + 1), rng);
      ClientResponse r = testing::PostSpans(client, spans, Wire::kProtobuf);
      if (r.status == 503) {
        ExpectDiskFull(r, "fill request " + std::to_string(n));
        RecordProperty("fill_requests_stored", n);
        *refused = std::move(spans);
        return;
      }
      ASSERT_NO_FATAL_FAILURE(ExpectStored(r, "fill request " + std::to_string(n))) << Output();
      for (const Span& s : spans) acknowledged_.insert({s.trace_id, s.span_id});
      serve_->Wait(std::chrono::milliseconds(0));  // drains the child's pipes
    }
    FAIL() << kMaxFillRequests << " requests (" << acknowledged_.size()
           << " spans) all stored: the tmpfs never filled";
  }

  // Sends `spans` until the answer is not the full-disk 503 and returns that answer.
  ClientResponse ResendUntilAnswered(TestClient& client, const std::vector<Span>& spans) {
    ClientResponse r;
    for (int attempt = 0; attempt < kMaxResendTries; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(kResendPause);
      r = testing::PostSpans(client, spans, Wire::kProtobuf);
      if (r.status != 503) {
        RecordProperty("resend_tries", attempt + 1);
        break;
      }
      ExpectDiskFull(r, "resend " + std::to_string(attempt));
    }
    return r;
  }

  // GET /metrics; expects `line` among its lines.
  void ExpectMetricLine(const std::string& line) {
    ClientResponse metrics = TestClient(port_).Send("GET", "/metrics");
    ASSERT_EQ(metrics.status, 200) << metrics.error << metrics.body;
    EXPECT_THAT(metrics.body, HasSubstr("\n" + line + "\n"));
  }

  // Opens the stopped server's data dir read-only; expects exactly acknowledged_ there.
  void ExpectExactlyAcknowledgedStored() {
    StoreOptions options = testing::SmallStoreOptions();
    options.path = data_dir();
    options.read_only = true;
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(testing::CountAllSpans(**store), acknowledged_.size());
    EXPECT_EQ(testing::CountSpans(**store, kProject), acknowledged_.size());
    const std::set<SpanKey> stored = testing::StoredKeys(**store, kProject);  // checks duplicates
    EXPECT_EQ(stored.size(), acknowledged_.size());
    EXPECT_TRUE(stored == acknowledged_) << "the stored spans are not the acknowledged ones";
  }

  // While writes are stopped: the server lives on, answers /healthz, says that writes are
  // stopped, reads an acknowledged trace and has nothing of the `refused` one.
  void ExpectServingWhileFull(const std::vector<Span>& refused) {
    ASSERT_NO_FATAL_FAILURE(ExpectRunning("once the disk was full"));
    TestClient client(port_);
    ClientResponse health = client.Send("GET", "/healthz");
    EXPECT_EQ(health.status, 200) << health.error << health.body;
    ExpectMetricLine("roost_store_writes_stopped 1");
    ClientResponse read = client.Send("GET", "/api/v1/traces/" + testing::TestTraceId(1).ToHex());
    ASSERT_EQ(read.status, 200) << read.error << read.body.substr(0, 500);
    json trace = json::parse(read.body, nullptr, false);
    ASSERT_TRUE(trace.is_object() && trace.contains("spans")) << read.body.substr(0, 500);
    EXPECT_EQ(trace["spans"].size(), kSpansPerRequest);
    ClientResponse absent =
        client.Send("GET", "/api/v1/traces/" + refused.front().trace_id.ToHex());
    EXPECT_EQ(absent.status, 404) << absent.error << absent.body.substr(0, 500);
  }

  // Takes the filesystem's last free bytes (a ballast file written until ENOSPC), then keeps
  // sending `refused` for a while: every answer the full-disk 503, the server alive. Meanwhile
  // roost tries to resume RocksDB several times, and each failed try makes RocksDB log; with
  // RocksDB's own LOG file in the data dir, the first such line fails to append and the next
  // aborted the process (an assertion in Debian's RocksDB).
  void FillToTheLastByteAndKeepSending(TestClient& client, const std::vector<Span>& refused) {
    {
      std::ofstream ballast(dir_ + "/ballast", std::ios::binary);
      const std::string chunk(64 << 10, 'x');
      for (int i = 0; i < 4096 && ballast.write(chunk.data(), chunk.size()); ++i) {
        ballast.flush();
      }
    }
    for (int attempt = 0; attempt < 40; ++attempt) {
      std::this_thread::sleep_for(kResendPause);
      ClientResponse r = testing::PostSpans(client, refused, Wire::kProtobuf);
      ExpectDiskFull(r, "with no byte free, try " + std::to_string(attempt));
      if (r.status != 503) return;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectRunning("with no byte free"));
  }

  // The whole story on the mounted tmpfs: fill until refused, check the full state, grow, resend,
  // stop, and count what the data dir holds.
  void FillRefuseGrowAndResend() {
    ASSERT_NO_FATAL_FAILURE(Serve());
    TestClient client(port_);
    std::vector<Span> refused;
    ASSERT_NO_FATAL_FAILURE(FillUntilRefused(client, &refused));
    ASSERT_FALSE(acknowledged_.empty()) << "the very first request was refused";
    ASSERT_NO_FATAL_FAILURE(ExpectServingWhileFull(refused));
    ASSERT_NO_FATAL_FAILURE(FillToTheLastByteAndKeepSending(client, refused));

    ASSERT_EQ(mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT, kLargeSize), 0)
        << "remount " << dir_ << " " << kLargeSize << ": " << std::strerror(errno);
    ClientResponse r = ResendUntilAnswered(client, refused);
    ASSERT_NO_FATAL_FAILURE(ExpectStored(r, "the refused request, once the disk grew")) << Output();
    for (const Span& s : refused) acknowledged_.insert({s.trace_id, s.span_id});
    ExpectMetricLine("roost_store_writes_stopped 0");
    ASSERT_NO_FATAL_FAILURE(ExpectRunning("after writes resumed"));

    serve_->Signal(SIGTERM);
    ASSERT_EQ(serve_->Wait(kExitBound), 0) << Output();
    EXPECT_THAT(serve_->out(), HasSubstr("roost stopped"));
    ExpectExactlyAcknowledgedStored();
  }

  // What the child printed so far (roost logs to stdout).
  std::string Output() const { return "stdout: " + serve_->out() + " stderr: " + serve_->err(); }

  std::string data_dir() const { return dir_ + "/data"; }

  std::string dir_;
  bool mounted_ = false;
  std::string skip_reason_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> serve_;
  std::set<SpanKey> acknowledged_;
};

TEST_F(RealFullDiskTest, ServeRefusesWhileTheFilesystemIsFullAndResumesWhenItGrows) {
  if (!Mount(kWalFillsSize)) GTEST_SKIP() << skip_reason_;
  FillRefuseGrowAndResend();
}

TEST_F(RealFullDiskTest, ServeRefusesWhenAFlushFindsTheFilesystemFullAndResumesWhenItGrows) {
  if (!Mount(kFlushFillsSize)) GTEST_SKIP() << skip_reason_;
  FillRefuseGrowAndResend();
}

}  // namespace
}  // namespace roost::api
