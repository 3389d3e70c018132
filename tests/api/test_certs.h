#pragma once

#include <string>

namespace roost::api::testing {

// A private CA and a server certificate it signed, for 127.0.0.1 and localhost, made at test
// time with OpenSSL's C API (no `openssl` binary needed). PEM text.
struct TestPki {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
};

// Fails the test (and returns empty strings) when OpenSSL refuses.
TestPki MakeTestPki();

}  // namespace roost::api::testing
