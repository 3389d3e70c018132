#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "storage/result.h"

namespace roost::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6006;    // 0: pick a free port (see HttpServer::port())
  int io_threads = 0;      // 0: one per core
  int worker_threads = 0;  // handler pool; 0: 4 per core (handlers may block on storage)
  size_t max_body_bytes = size_t{32} << 20;  // on the wire; larger requests get 413
  size_t max_connections = 1024;             // beyond it new connections are closed at once
  // Request bodies held in memory at once, over all connections (read, or being handled). A
  // request whose body would pass it is answered 503 with Retry-After before its body is read;
  // a request alone is always read (up to max_body_bytes).
  size_t max_pending_body_bytes = size_t{256} << 20;
  std::chrono::seconds read_timeout{30};  // to receive one whole request
  std::chrono::seconds idle_timeout{75};  // keep-alive connection with no request
};

// Handles one request; runs on the worker pool (it may block). Must not throw; a throw becomes a
// 500 all the same.
using Handler = std::function<Response(const Request&)>;

// An HTTP/1.1 server on Boost.Beast: async accept and IO on `io_threads` threads, keep-alive,
// Content-Length and chunked bodies, read/idle timeouts, a body limit and a connection cap.
// Requests are parsed on IO threads and handled on a worker pool so that a slow handler never
// stalls the accept loop or other connections.
class HttpServer {
 public:
  // Binds and listens (SO_REUSEADDR so a restart may reuse the port at once). kUnavailable when
  // the address is in use, kInvalidArgument for a bad host.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler handler);
  ~HttpServer();

  uint16_t port() const;
  // Stops accepting, lets in-flight requests finish (up to `grace`), then closes everything.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Blocks until Stop() has finished.
  void Wait();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roost::api
