#include "tests/api/test_phoenix_stand_in.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp needs std::exchange

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "ingest/decompress.h"
#include "ingest/export_response.h"
#include "ingest/protobuf_decoder.h"

namespace roost::api::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

enum class Action { kAnswer, kHang, kClose };

}  // namespace

struct PhoenixStandIn::Rep {
  StandInOptions options;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<ssl::context> tls;
  std::thread thread;
  std::vector<std::shared_ptr<void>> hung;  // sessions left unanswered; IO thread only

  mutable std::mutex mu;
  StandInMode mode = StandInMode::kAccept;  // guarded by mu (and what follows)
  int status = 500;
  int retry_after = 0;
  int times_left = 0;
  std::string api_key;
  std::string refuse_name;
  std::string partial_name;
  std::chrono::milliseconds delay{0};
  std::vector<ReceivedSpan> received;
  size_t requests = 0;
  size_t largest = 0;
  std::vector<std::chrono::steady_clock::time_point> request_times;
  std::map<std::string, std::string> last_headers;

  http::response<http::string_body> Answer(const http::request<http::string_body>& req,
                                           Action* action);
  void Accept();
};

namespace {

http::response<http::string_body> Reply(const http::request<http::string_body>& req, int status,
                                        std::string body) {
  http::response<http::string_body> res(static_cast<http::status>(status), req.version());
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(PhoenixStandIn::Rep& rep, Args&&... args)
      : rep_(rep), stream_(std::forward<Args>(args)...) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(size_t{256} << 20);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->OnRead();
                     });
  }

  void OnRead() {
    Action action = Action::kAnswer;
    response_ = rep_.Answer(parser_->get(), &action);
    if (action == Action::kHang) {
      rep_.hung.push_back(this->shared_from_this());
      return;
    }
    if (action == Action::kClose) {
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().close(ignored);
      return;
    }
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec && self->response_.keep_alive()) self->Read();
                      });
  }

  PhoenixStandIn::Rep& rep_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

void PhoenixStandIn::Rep::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed: stopping
    if (tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket),
                                                                      *tls)
          ->Start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket))->Start();
    }
    Accept();
  });
}

http::response<http::string_body> PhoenixStandIn::Rep::Answer(
    const http::request<http::string_body>& req, Action* action) {
  std::chrono::milliseconds wait{0};
  http::response<http::string_body> res;
  {
    std::lock_guard lock(mu);
    ++requests;
    request_times.push_back(std::chrono::steady_clock::now());
    last_headers.clear();
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      last_headers[name] = std::string(field.value());
    }
    StandInMode now = mode;
    if (times_left > 0 && --times_left == 0) mode = StandInMode::kAccept;
    wait = delay;
    if (now == StandInMode::kHang) {
      *action = Action::kHang;
      return res;
    }
    if (now == StandInMode::kClose) {
      *action = Action::kClose;
      return res;
    }
    const std::string auth(req[http::field::authorization]);
    if (now == StandInMode::kUnauthorized || (!api_key.empty() && auth != "Bearer " + api_key)) {
      return Reply(req, 401, R"({"detail":"unauthenticated: PermissionDenied"})");
    }
    if (now == StandInMode::kStatus) {
      res = Reply(req, status, R"({"detail":"try later"})");
      if (retry_after > 0) res.set(http::field::retry_after, std::to_string(retry_after));
      return res;
    }
    Result<ingest::ContentEncoding> encoding =
        ingest::ParseContentEncoding(std::string(req[http::field::content_encoding]));
    if (!encoding.ok()) return Reply(req, 415, "bad encoding");
    Result<std::string> body = ingest::Decompress(req.body(), *encoding, size_t{1} << 30);
    if (!body.ok()) return Reply(req, 400, body.status().message());
    Result<ingest::DecodedBatch> batch = ingest::DecodeProtobuf(*body, ingest::DecodeOptions());
    if (!batch.ok()) return Reply(req, 400, batch.status().message());
    for (const Span& s : batch->spans) {
      if (!refuse_name.empty() && s.name == refuse_name) {
        return Reply(req, 400, "invalid span " + s.span_id.ToHex());
      }
    }
    uint64_t dropped = 0;
    for (const Span& s : batch->spans) {
      if (!partial_name.empty() && s.name == partial_name) {
        ++dropped;
        continue;
      }
      received.push_back({s.trace_id, s.span_id, s.project});
    }
    largest = std::max(largest, batch->spans.size());
    res = Reply(req, 200,
                ingest::EncodeExportResponseProtobuf(
                    dropped, dropped > 0 ? "span name '" + partial_name + "' is not allowed" : ""));
    res.set(http::field::content_type, "application/x-protobuf");
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
  return res;
}

std::unique_ptr<PhoenixStandIn> PhoenixStandIn::Start(const StandInOptions& options,
                                                      std::string* error) {
  std::unique_ptr<PhoenixStandIn> p(new PhoenixStandIn());
  p->rep_ = std::make_unique<Rep>();
  Rep& rep = *p->rep_;
  rep.options = options;
  rep.api_key = options.api_key;
  try {
    if (!options.cert_pem.empty()) {
      rep.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
      rep.tls->use_certificate_chain(net::buffer(options.cert_pem));
      rep.tls->use_private_key(net::buffer(options.key_pem), ssl::context::pem);
    }
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    rep.acceptor.open(endpoint.protocol());
    rep.acceptor.set_option(net::socket_base::reuse_address(true));
    rep.acceptor.bind(endpoint);
    rep.acceptor.listen();
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
  rep.Accept();
  rep.thread = std::thread([&rep] { rep.ioc.run(); });
  return p;
}

PhoenixStandIn::~PhoenixStandIn() {
  net::post(rep_->ioc, [rep = rep_.get()] {
    beast::error_code ignored;
    rep->acceptor.close(ignored);
  });
  rep_->ioc.stop();
  if (rep_->thread.joinable()) rep_->thread.join();
  rep_->hung.clear();
}

uint16_t PhoenixStandIn::port() const { return rep_->acceptor.local_endpoint().port(); }

std::string PhoenixStandIn::url() const {
  return std::string(rep_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

void PhoenixStandIn::SetMode(StandInMode mode, int status, int retry_after_seconds, int times) {
  std::lock_guard lock(rep_->mu);
  rep_->mode = mode;
  rep_->status = status;
  rep_->retry_after = retry_after_seconds;
  rep_->times_left = times;
}

void PhoenixStandIn::SetApiKey(std::string key) {
  std::lock_guard lock(rep_->mu);
  rep_->api_key = std::move(key);
}

void PhoenixStandIn::PartiallyRejectSpansNamed(std::string name) {
  std::lock_guard lock(rep_->mu);
  rep_->partial_name = std::move(name);
}

void PhoenixStandIn::RefuseSpansNamed(std::string name) {
  std::lock_guard lock(rep_->mu);
  rep_->refuse_name = std::move(name);
}

void PhoenixStandIn::SetDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(rep_->mu);
  rep_->delay = delay;
}

std::vector<ReceivedSpan> PhoenixStandIn::received() const {
  std::lock_guard lock(rep_->mu);
  return rep_->received;
}

std::set<std::pair<TraceId, SpanId>> PhoenixStandIn::unique_received() const {
  std::lock_guard lock(rep_->mu);
  std::set<std::pair<TraceId, SpanId>> out;
  for (const ReceivedSpan& r : rep_->received) out.emplace(r.trace_id, r.span_id);
  return out;
}

size_t PhoenixStandIn::requests() const {
  std::lock_guard lock(rep_->mu);
  return rep_->requests;
}

size_t PhoenixStandIn::largest_request() const {
  std::lock_guard lock(rep_->mu);
  return rep_->largest;
}

std::vector<std::chrono::steady_clock::time_point> PhoenixStandIn::request_times() const {
  std::lock_guard lock(rep_->mu);
  return rep_->request_times;
}

std::map<std::string, std::string> PhoenixStandIn::last_headers() const {
  std::lock_guard lock(rep_->mu);
  return rep_->last_headers;
}

bool PhoenixStandIn::WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace roost::api::testing
