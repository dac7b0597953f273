#include "rpc/tls.hpp"

#include "util/error.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

namespace bts::rpc {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_tls_context(const tls_client_options& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  switch (o.verify) {
    case tls_verify::none:
      ctx->set_verify_mode(ssl::verify_none);
      break;
    case tls_verify::system:
      ctx->set_default_verify_paths(ec);
      if (ec) throw input_error("tls", "cannot load the system CA store: " + ec.message());
      ctx->set_verify_mode(ssl::verify_peer);
      break;
    case tls_verify::ca_file:
      if (o.ca_file.empty()) throw input_error("tls", "verify=ca_file needs a CA file");
      ctx->load_verify_file(o.ca_file, ec);
      if (ec) throw input_error("tls", "cannot load CA file " + o.ca_file + ": " + ec.message());
      ctx->set_verify_mode(ssl::verify_peer);
      break;
  }
  return ctx;
}

std::shared_ptr<ssl::context> make_server_tls_context(const tls_server_options& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  boost::system::error_code ec;
  if (!o.cert_chain_file.empty()) {
    ctx->use_certificate_chain_file(o.cert_chain_file, ec);
    if (ec)
      throw input_error("tls", "certificate chain " + o.cert_chain_file + ": " + ec.message());
  } else if (!o.cert_chain_pem.empty()) {
    ctx->use_certificate_chain(boost::asio::buffer(o.cert_chain_pem), ec);
    if (ec) throw input_error("tls", "certificate chain PEM: " + ec.message());
  } else {
    throw input_error("tls", "server TLS needs a certificate chain (file or PEM)");
  }
  if (!o.private_key_file.empty()) {
    ctx->use_private_key_file(o.private_key_file, ssl::context::pem, ec);
    if (ec) throw input_error("tls", "private key " + o.private_key_file + ": " + ec.message());
  } else if (!o.private_key_pem.empty()) {
    ctx->use_private_key(boost::asio::buffer(o.private_key_pem), ssl::context::pem, ec);
    if (ec) throw input_error("tls", "private key PEM: " + ec.message());
  } else {
    throw input_error("tls", "server TLS needs a private key (file or PEM)");
  }
  return ctx;
}

}  // namespace bts::rpc
