// https:// to a cluster with a self-signed certificate (made here with OpenSSL), served by
// rpc::server with TLS: verified with ca=FILE, refused against the system store, accepted with
// insecure; the Basic credentials travel inside TLS.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "outputs/elasticsearch.hpp"
#include "rpc/server.hpp"
#include "util/error.hpp"

namespace bts::outputs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct pem_pair {
  std::string cert;
  std::string key;
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Self-signed P-256 certificate for 127.0.0.1 / localhost, valid for a day.
pem_pair make_certificate() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> exts[] = {{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                              {NID_basic_constraints, "critical,CA:TRUE"}};
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  pem_pair out;
  std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cb.get(), cert.get());
  out.cert = bio_string(cb.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.key = bio_string(kb.get());
  return out;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    pem = make_certificate();
    dir = fs::temp_directory_path() / ("bts-es-tls-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    ca_file = (dir / "ca.pem").string();
    std::ofstream(ca_file) << pem.cert;
    rpc::server_options so;
    so.tls = rpc::tls_server_options{};
    so.tls->cert_chain_pem = pem.cert;
    so.tls->private_key_pem = pem.key;
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

  pem_pair pem;
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
