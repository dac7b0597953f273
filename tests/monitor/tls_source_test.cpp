// https:// metrics sources against a loopback rpc::server with a self-signed certificate made
// here with OpenSSL: verification off, against the certificate as CA file, and refused by the
// system store.
#include "monitor/node_load.hpp"

#include "rpc/server.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "support/self_signed.hpp"

namespace bts::monitor {
namespace {

namespace asio = boost::asio;

using ::bts::test::make_self_signed_certificate;
using ::bts::test::self_signed;

TEST(TlsSource, HttpsMetricsWithVerificationOffOrACaFileAndRefusedByTheSystemStore) {
  const self_signed cert = make_self_signed_certificate();
  const std::string ca_path = ::testing::TempDir() + "/monitor_tls_source_test.pem";
  std::ofstream(ca_path) << cert.cert_pem;

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  {
    rpc::server_options o;
    o.tls = rpc::tls_server_options{};
    o.tls->cert_chain_pem = cert.cert_pem;
    o.tls->private_key_pem = cert.key_pem;
    o.http = [](const rpc::http_request_info&) {
      rpc::http_response r;
      r.body = "process_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 4096\n";
      return r;
    };
    rpc::server server(io.get_executor(), o);
    const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/metrics";
    const load_source source = parse_load_source("metrics:" + url);

    sampler_options off;
    off.tls.verify = rpc::tls_verify::none;
    node_load_sampler unverified(io.get_executor(), source, off);
    const load_sample a = unverified.sample_once();
    EXPECT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.load.memory_bytes, 4096.0);

    sampler_options ca;
    ca.tls.verify = rpc::tls_verify::ca_file;
    ca.tls.ca_file = ca_path;
    EXPECT_NO_THROW(check_load_source(source, ca));

    node_load_sampler system(io.get_executor(), source);  // default: the system CA store
    const load_sample b = system.sample_once();
    EXPECT_EQ(b.error.rfind("tls handshake: ", 0), 0u) << b.error;
    EXPECT_EQ(b.load, node_load{});
    EXPECT_EQ(system.counters().unreachable, 1u);
    EXPECT_THROW(check_load_source(source), input_error);

    sampler_options missing;
    missing.tls.verify = rpc::tls_verify::ca_file;
    missing.tls.ca_file = ca_path + ".absent";
    node_load_sampler no_ca(io.get_executor(), source, missing);
    const load_sample c = no_ca.sample_once();
    EXPECT_FALSE(c.ok());
    EXPECT_NE(c.error.find("tls"), std::string::npos) << c.error;
  }
  work.reset();
  runner.join();
  std::remove(ca_path.c_str());
}

}  // namespace
}  // namespace bts::monitor
