// TLS settings for wss:// and https://, on both sides.
//
// The contexts built here are immutable after construction and may be shared by any number of
// connections and threads.
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace bts::rpc {

enum class tls_verify {
  none,     // accept any certificate (self-signed test nodes)
  system,   // verify the chain against the system CA store and the host name
  ca_file,  // verify the chain against `ca_file` (PEM) and the host name
};

struct tls_client_options {
  tls_verify verify = tls_verify::system;
  std::string ca_file;      // REQUIRES: set when verify == ca_file
  std::string server_name;  // name sent as SNI and checked in the certificate; default: URL host
};

struct tls_server_options {
  // Either files or in-memory PEM text; files win when both are given.
  std::string cert_chain_file;
  std::string private_key_file;
  std::string cert_chain_pem;
  std::string private_key_pem;
};

// Throw bts::input_error("tls", ...) when a file cannot be read or a key/certificate is invalid.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const tls_client_options& o);
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const tls_server_options& o);

}  // namespace bts::rpc
