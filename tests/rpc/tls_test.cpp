// wss:// and https:// against a server with a self-signed certificate made here with OpenSSL.
#include "rpc/client.hpp"
#include "rpc/server.hpp"
#include "rpc_test_support.hpp"
#include "test_server.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "support/self_signed.hpp"

namespace bts::rpc::test {
namespace {

using ::bts::test::make_self_signed_certificate;
using ::bts::test::self_signed;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert = make_self_signed_certificate();
    dir = std::filesystem::temp_directory_path() /
          ("bts-rpc-tls-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    ca_file = (dir / "ca.pem").string();
    std::ofstream(ca_file) << cert.cert_pem;
    server_options so = service.options();
    so.tls = tls_server_options{};
    so.tls->cert_chain_pem = cert.cert_pem;
    so.tls->private_key_pem = cert.key_pem;
    srv = std::make_unique<server>(server_io.executor(), so);
  }
  void TearDown() override {
    srv.reset();
    std::filesystem::remove_all(dir);
  }

  client_options options(std::string scheme, tls_verify verify) {
    client_options o;
    o.url = scheme + "://127.0.0.1:" + std::to_string(srv->port());
    o.tls.verify = verify;
    o.tls.ca_file = ca_file;
    o.reconnect = false;
    o.call_timeout = std::chrono::milliseconds(15'000);
    return o;
  }

  io_thread server_io;
  io_thread client_io;
  test_service service;
  self_signed cert;
  std::filesystem::path dir;
  std::string ca_file;
  std::unique_ptr<server> srv;
};

TEST_F(Tls, WssVerifiesAgainstTheGivenCaFile) {
  client c(client_io.executor(), options("wss", tls_verify::ca_file));
  c.start();
  const call_result r = call_sync(c, "database", "get_chain_id");
  ASSERT_TRUE(r.ok()) << r.error().to_string() << " / " << c.last_error();
  EXPECT_EQ(r.value(), test_chain_id);

  const std::uint64_t cb = c.reserve_id();
  std::atomic<int> notices{0};
  c.subscribe(cb, [&](json::array) { ++notices; });
  ASSERT_TRUE(call_sync(c, 0, "subscribe", json::array{cb}).ok());
  EXPECT_TRUE(eventually([&] { return notices.load() == 3; }));
}

TEST_F(Tls, WssWithoutVerificationAcceptsAnyCertificate) {
  client c(client_io.executor(), options("wss", tls_verify::none));
  c.start();
  EXPECT_TRUE(call_sync(c, 0, "echo", json::array{1}).ok()) << c.last_error();
}

TEST_F(Tls, SystemCasRejectASelfSignedCertificate) {
  client c(client_io.executor(), options("wss", tls_verify::system));
  c.start();
  const call_result r = call_sync(c, 0, "echo");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::disconnected);
  EXPECT_EQ(c.counters().connect_failures.load(), 1u);
  EXPECT_NE(c.last_error().find("tls handshake"), std::string::npos) << c.last_error();
}

TEST_F(Tls, HostNameMustMatchTheCertificate) {
  client_options o = options("wss", tls_verify::ca_file);
  o.tls.server_name = "node.example.com";
  client c(client_io.executor(), o);
  c.start();
  EXPECT_EQ(call_sync(c, 0, "echo").error().kind, error_kind::disconnected);
  EXPECT_NE(c.last_error().find("tls handshake"), std::string::npos) << c.last_error();

  o.tls.server_name = "localhost";  // in the SAN
  client named(client_io.executor(), o);
  named.start();
  EXPECT_TRUE(call_sync(named, 0, "echo").ok()) << named.last_error();
}

TEST_F(Tls, HttpsPost) {
  client c(client_io.executor(), options("https", tls_verify::ca_file));
  c.start();
  for (int i = 0; i < 3; ++i) {
    const call_result r = call_sync(c, 0, "echo", json::array{i});
    ASSERT_TRUE(r.ok()) << r.error().to_string() << " / " << c.last_error();
    EXPECT_EQ(r.value(), json::array{i});
  }
  EXPECT_EQ(c.counters().connects.load(), 1u);
}

TEST_F(Tls, BadCaFileIsAnInputError) {
  client_options o = options("wss", tls_verify::ca_file);
  o.tls.ca_file = (dir / "missing.pem").string();
  EXPECT_THROW(client(client_io.executor(), o), input_error);
}

}  // namespace
}  // namespace bts::rpc::test
