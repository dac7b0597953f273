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

namespace bts::monitor {
namespace {

namespace asio = boost::asio;

struct self_signed {
  std::string cert_pem;
  std::string key_pem;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A P-256 certificate for CN=localhost with SAN DNS:localhost, IP:127.0.0.1, valid for a day.
self_signed make_self_signed_certificate() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("openssl: cannot allocate key/certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw std::runtime_error("openssl: cannot make extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("openssl: sign");
  self_signed out;
  std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cb.get(), cert.get());
  out.cert_pem = bio_text(cb.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = bio_text(kb.get());
  return out;
}

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
