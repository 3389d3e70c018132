#include "api/http_server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace roost::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t kMaxHeaderBytes = 64 * 1024;
// How much the wait for the first bytes of a request reads at once.
constexpr size_t kFirstReadBytes = 4096;
// After an error answer (413, 400, ...), at most this much of what the client still sends is read
// and dropped before the connection is closed (see LingerAndClose).
constexpr size_t kMaxDiscardBytes = size_t{64} << 20;
constexpr size_t kDiscardChunkBytes = 64 << 10;

std::string_view Std(boost::beast::string_view s) { return std::string_view(s.data(), s.size()); }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A request body read into a std::string by appending what arrives. Beast's string_body resizes
// the string first (zero-filling every byte it is about to overwrite), which cost ~1.5% of the
// server's CPU under OTLP ingest, for bodies of hundreds of KB.
struct RequestBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool kIsRequest, class Fields>
    reader(http::header<kIsRequest, Fields>&, value_type& body) : body_(body) {}

    // The parser has checked a declared length against its body limit already.
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length) {
        if (*length > body_.max_size()) {
          ec = http::error::buffer_overflow;
          return;
        }
        body_.reserve(static_cast<size_t>(*length));
      }
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const size_t n = beast::buffer_bytes(buffers);
      if (n > body_.max_size() - body_.size()) {
        ec = http::error::buffer_overflow;
        return 0;
      }
      for (const auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
      }
      ec = {};
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

Request ToRequest(http::request<RequestBody>&& in) {
  Request r;
  r.method = std::string(Std(in.method_string()));
  r.target = std::string(Std(in.target()));
  std::string_view target(r.target);
  size_t q = target.find('?');
  r.path = PercentDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) r.query = ParseQuery(target.substr(q + 1));
  for (const auto& field : in) {
    std::string name = Lower(Std(field.name_string()));
    auto [it, inserted] = r.headers.emplace(name, std::string(Std(field.value())));
    if (!inserted) it->second += ", " + std::string(Std(field.value()));
  }
  r.body = std::move(in.body());  // an OTLP body is up to --max-body bytes: not copied
  return r;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const ServerOptions& options, Handler handler)
      : options_(options),
        handler_(std::move(handler)),
        acceptor_(ioc_),
        workers_(static_cast<size_t>(options.worker_threads > 0
                                         ? options.worker_threads
                                         : 4 * std::max(1u, std::thread::hardware_concurrency()))) {
  }

  Status Listen();
  void Run();
  void Stop(std::chrono::milliseconds grace);
  void Wait();
  uint16_t port() const { return port_; }

  const ServerOptions& options() const { return options_; }
  std::atomic<bool>& stopping() { return stopping_; }
  std::atomic<size_t>& in_flight() { return in_flight_; }
  std::atomic<size_t>& connections() { return connections_; }
  // Reserves `n` bytes of request body (ServerOptions::max_pending_body_bytes); false when they
  // would pass the bound while other bodies are held.
  // `own`: what the asking request holds already (a request alone may always go on).
  bool ReserveBody(size_t n, size_t own) {
    size_t held = pending_body_bytes_.load();
    do {
      if (held > own && held + n > options_.max_pending_body_bytes) return false;
    } while (!pending_body_bytes_.compare_exchange_weak(held, held + n));
    return true;
  }
  void ReleaseBody(size_t n) { pending_body_bytes_ -= n; }
  net::thread_pool& workers() { return workers_; }
  Response Handle(const Request& request);
  // A session's socket, registered for its lifetime so that Stop() can close it.
  void Register(tcp::socket* socket);
  void Unregister(tcp::socket* socket);

 private:
  void Accept();

  const ServerOptions options_;
  Handler handler_;
  // Declared before ioc_: sessions still queued in ioc_ touch them when ioc_ is destroyed.
  std::atomic<size_t> connections_{0};
  std::mutex sockets_mu_;
  std::set<tcp::socket*> sockets_;  // guarded by sockets_mu_
  net::io_context ioc_;
  // Keeps the IO threads running while every request is on the worker pool and the acceptor is
  // closed (Stop), so that their responses are still written; Stop() ends them with ioc_.stop().
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::acceptor acceptor_;
  net::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> in_flight_{0};
  std::atomic<size_t> pending_body_bytes_{0};
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
  std::condition_variable stopped_cv_;
};

namespace {

// One connection: reads requests one after another (keep-alive), hands each to the worker pool,
// writes the response back on the connection's own executor.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    server_.connections()++;
    server_.Register(&stream_.socket());
  }
  ~Session() {
    ReleaseBody();
    server_.Unregister(&stream_.socket());
    server_.connections()--;
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  // Waits up to idle_timeout for the first bytes of the next request, then gives the whole request
  // read_timeout: a client that starts a request and stalls is cut off after read_timeout.
  void Read() {
    if (buffer_.size() > 0) return ReadRequest();
    stream_.expires_after(server_.options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->OnRead(ec);
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    stream_.expires_after(server_.options().read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // A body is read only while the server can hold it (ServerOptions::max_pending_body_bytes):
  // a declared length is counted once the header is in, a chunked body chunk by chunk.
  void OnHeader(beast::error_code header_ec) {
    if (header_ec) return OnRead(header_ec);
    if (const auto length = parser_->content_length(); length && *length > 0) {
      if (!server_.ReserveBody(static_cast<size_t>(*length), 0)) return WriteAndClose(Busy());
      reserved_ = static_cast<size_t>(*length);
    } else if (parser_->chunked()) {
      // With this callback set, Beast hands chunk data here instead of to the body.
      on_chunk_ = [this](std::uint64_t, beast::string_view data, beast::error_code& chunk_ec) {
        if (!server_.ReserveBody(data.size(), reserved_)) {
          busy_ = true;
          chunk_ec = http::error::buffer_overflow;
          return size_t{0};
        }
        reserved_ += data.size();
        parser_->get().body().append(data.data(), data.size());
        return data.size();
      };
      parser_->on_chunk_body(on_chunk_);
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void ReleaseBody() {
    if (reserved_ > 0) server_.ReleaseBody(reserved_);
    reserved_ = 0;
  }

  Response Busy() const {
    Response r = ErrorResponse(503, "the server holds as many request bodies as it may (" +
                                        std::to_string(server_.options().max_pending_body_bytes) +
                                        " bytes, --max-pending-body); retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  void OnRead(beast::error_code ec) {
    if (ec) ReleaseBody();
    if (ec && busy_) {
      busy_ = false;
      return WriteAndClose(Busy());
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return WriteAndClose(ErrorResponse(413, "request body exceeds the limit of " +
                                                  std::to_string(server_.options().max_body_bytes) +
                                                  " bytes (--max-body)"));
    }
    if (ec == http::error::header_limit) {
      return WriteAndClose(ErrorResponse(431, "request headers are too large"));
    }
    if (ec) return WriteAndClose(ErrorResponse(400, "malformed HTTP request: " + ec.message()));
    keep_alive_ = parser_->get().keep_alive();
    version_ = parser_->get().version();
    auto request = std::make_shared<Request>(ToRequest(parser_->release()));
    parser_.reset();
    // HEAD is GET without the body (RFC 9110): handlers see a GET, and Write sends the headers
    // only, Content-Length included.
    const bool head = request->method == "HEAD";
    if (head) request->method = "GET";
    stream_.expires_never();
    server_.in_flight()++;
    net::post(server_.workers(), [self = shared_from_this(), request, head]() mutable {
      Response response = self->server_.Handle(*request);
      request.reset();  // the body, held since its header came
      self->ReleaseBody();
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response), head]() mutable {
                  self->Write(std::move(response), /*close=*/false, /*counted=*/true, head);
                });
    });
  }

  void WriteAndClose(Response r) { Write(std::move(r), /*close=*/true, /*counted=*/false); }

  // `counted`: the request is in the server's in-flight count until its response is written.
  // `head`: the answer to a HEAD, sent without its body.
  void Write(Response r, bool close, bool counted, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_ == 0 ? 11 : version_);
    res->set(http::field::server, "roost");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    const bool keep = !close && keep_alive_ && !server_.stopping().load();
    res->keep_alive(keep);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays that of the GET
    stream_.expires_after(server_.options().read_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep, close, counted](beast::error_code ec, size_t) {
          if (counted) self->server_.in_flight()--;
          if (!ec && close) return self->LingerAndClose();
          if (ec || !keep) return self->Close();
          self->Read();
        });
  }

  // Closing a socket with unread input resets the connection, and a client still writing its
  // body (the usual case of a 413) would see the reset instead of the answer. So stop sending,
  // read and drop the rest (at most kMaxDiscardBytes, within read_timeout), then close.
  void LingerAndClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(server_.options().read_timeout);
    discard_.resize(kDiscardChunkBytes);
    Discard();
  }

  void Discard() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kMaxDiscardBytes) return self->Close();
                              self->Discard();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<RequestBody>> parser_;
  HttpServer::Impl& server_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::vector<char> discard_;  // LingerAndClose's read buffer
  size_t discarded_ = 0;
  size_t reserved_ = 0;  // body bytes counted in the server's pending bound for this request
  bool busy_ = false;    // a chunk was refused for want of room
  // The parser keeps a reference to it (Beast's on_chunk_body).
  std::function<size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_;
};

}  // namespace

Response HttpServer::Impl::Handle(const Request& request) {
  try {
    return handler_(request);
  } catch (const std::exception& e) {
    spdlog::error("handler for {} {} threw: {}", request.method, request.path, e.what());
    return ErrorResponse(500, "internal error");
  } catch (...) {
    return ErrorResponse(500, "internal error");
  }
}

void HttpServer::Impl::Register(tcp::socket* socket) {
  std::lock_guard lock(sockets_mu_);
  sockets_.insert(socket);
}

void HttpServer::Impl::Unregister(tcp::socket* socket) {
  std::lock_guard lock(sockets_mu_);
  sockets_.erase(socket);
}

Status HttpServer::Impl::Listen() {
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options_.host, ec);
  if (ec)
    return Status::InvalidArgument("bad listen host '" + options_.host + "': " + ec.message());
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return Status::OK();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor_.is_open()) return;  // stopping
      spdlog::warn("accept failed: {}", ec.message());
    } else if (connections_.load() >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), *this)->Start();
    }
    if (acceptor_.is_open()) Accept();
  });
}

void HttpServer::Impl::Run() {
  Accept();
  const int n = options_.io_threads > 0
                    ? options_.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
}

void HttpServer::Impl::Stop(std::chrono::milliseconds grace) {
  if (stopping_.exchange(true)) {
    Wait();
    return;
  }
  net::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  // Let requests already read finish (bounded by `grace`).
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ioc_.stop();
  for (auto& t : io_threads_) t.join();
  workers_.join();
  // No thread runs the sockets any more, so they may be closed from here: clients of idle or
  // unanswered connections see the close now rather than when the server is destroyed.
  {
    beast::error_code ignored;
    acceptor_.close(ignored);
    std::lock_guard lock(sockets_mu_);
    for (tcp::socket* socket : sockets_) {
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
    }
  }
  {
    std::lock_guard lock(stop_mu_);
    stopped_ = true;
  }
  stopped_cv_.notify_all();
}

void HttpServer::Impl::Wait() {
  std::unique_lock lock(stop_mu_);
  stopped_cv_.wait(lock, [&] { return stopped_; });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      Handler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  if (Status s = impl->Listen(); !s.ok()) return s;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }
void HttpServer::Wait() { impl_->Wait(); }

}  // namespace roost::api
