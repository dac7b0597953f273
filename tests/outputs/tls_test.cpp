// https:// to a cluster with a self-signed certificate (made here with OpenSSL), served by
// rpc::server with TLS: verified with ca=FILE, refused against the system store, accepted with
// insecure; the Basic credentials travel inside TLS.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "outputs/elasticsearch.hpp"
#include "rpc/server.hpp"
#include "support/self_signed.hpp"
#include "util/error.hpp"

namespace bts::outputs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    pem = test::make_self_signed_certificate();
    dir = fs::temp_directory_path() / ("bts-es-tls-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    ca_file = (dir / "ca.pem").string();
    std::ofstream(ca_file) << pem.cert_pem;
    rpc::server_options so;
    so.tls = rpc::tls_server_options{};
    so.tls->cert_chain_pem = pem.cert_pem;
    so.tls->private_key_pem = pem.key_pem;
    so.authenticate = [this](const rpc::http_request_info& r) -> std::optional<rpc::http_response> {
      std::lock_guard lock(m);
      seen.push_back(r.method + " " + r.target + " " + r.header("authorization"));
      if (r.header("authorization") != "Basic YnRzOnMzY3JldA==") {  // bts:s3cret
        return rpc::http_response{401,
                                  "application/json",
                                  R"({"error":{"type":"security_exception","reason":"no"}})",
                                  {}};
      }
      return std::nullopt;
    };
    so.http = [](const rpc::http_request_info& r) {
      if (r.method == "GET" && r.target == "/") {
        return rpc::http_response{
            200, "application/json", R"({"version":{"number":"8.13.4"}})", {}};
      }
      return rpc::http_response{200, "application/json", R"({"acknowledged":true})", {}};
    };
    server = std::make_unique<rpc::server>(io.get_executor(), so);
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    server->stop();
    work.reset();
    io.stop();
    thread.join();
    fs::remove_all(dir);
  }

  elasticsearch_options options() {
    elasticsearch_options o;
    o.url = "https://127.0.0.1:" + std::to_string(server->port());
    o.user = "bts";
    o.password = "s3cret";
    o.spool_dir = (dir / "spool").string();
    o.connect_timeout = 2s;
    o.request_timeout = 2s;
    return o;
  }

  test::self_signed pem;
  fs::path dir;
  std::string ca_file;
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      io.get_executor()};
  std::unique_ptr<rpc::server> server;
  std::thread thread;
  std::mutex m;
  std::vector<std::string> seen;
};

TEST_F(Tls, VerifiedWithTheCaFile) {
  elasticsearch_options o = options();
  o.ca_file = ca_file;
  elasticsearch_output out(o, [](std::string_view) {});
  out.start();
  out.stop();
  std::lock_guard lock(m);
  ASSERT_EQ(seen.size(), 5u);  // GET /, three templates, the stats indices' mappings
  EXPECT_EQ(seen[0], "GET / Basic YnRzOnMzY3JldA==");
  EXPECT_EQ(seen[1].rfind("PUT /_index_template/bts-infra-stats ", 0), 0u);
}

TEST_F(Tls, AnUnknownCertificateIsAClearErrorUnlessInsecure) {
  elasticsearch_options o = options();  // the system CA store does not know our certificate
  {
    elasticsearch_output out(o, [](std::string_view) {});
    try {
      out.start();
      FAIL();
    } catch (const input_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("cannot reach https://127.0.0.1:"), std::string::npos) << what;
      EXPECT_NE(what.find("tls handshake"), std::string::npos) << what;
    }
  }
  o.insecure = true;
  elasticsearch_output out(o, [](std::string_view) {});
  EXPECT_NO_THROW(out.start());
}

TEST_F(Tls, RefusedCredentialsOverTls) {
  elasticsearch_options o = options();
  o.ca_file = ca_file;
  o.password = "wrong";
  elasticsearch_output out(o, [](std::string_view) {});
  try {
    out.start();
    FAIL();
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("refused the credentials (401"), std::string::npos);
  }
}

}  // namespace
}  // namespace bts::outputs
