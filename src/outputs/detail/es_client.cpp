#include "outputs/detail/es_client.hpp"

#include "rpc/http_client.hpp"

namespace bts::outputs::detail {

namespace asio = boost::asio;

es_client::es_client(asio::any_io_executor executor, es_client_options o)
    : base_(o.endpoint.target), authorization_(std::move(o.authorization)) {
  const auto q = base_.find('?');
  if (q != std::string::npos) base_.resize(q);
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  rpc::http_client_options h;
  h.endpoint = std::move(o.endpoint);
  h.user_agent = "bts-infra/" BTS_INFRA_VERSION;
  h.tls = std::move(o.tls);
  h.server_name = std::move(o.server_name);
  h.name_check = o.verify ? rpc::tls_name_check::required : rpc::tls_name_check::none;
  h.keep_alive = true;
  h.connect_timeout = o.connect_timeout;
  h.request_timeout = o.request_timeout;
  h.body_limit = 64 * 1024 * 1024;
  http_ = std::make_unique<rpc::http_client>(std::move(executor), std::move(h));
}

es_client::~es_client() = default;

void es_client::close() { http_->close(); }

asio::awaitable<http_result> es_client::request(std::string method, std::string path,
                                                std::string body, std::string content_type) {
  rpc::http_client_request req;
  req.method = std::move(method);
  req.target = base_ + path;
  req.headers.emplace_back("Accept", "application/json");
  if (!authorization_.empty()) req.headers.emplace_back("Authorization", authorization_);
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::move(content_type));
  req.body = std::move(body);
  rpc::http_client_response r = co_await http_->request(std::move(req));
  http_result out;
  if (r.ok()) {
    out.status = r.status;
    out.body = std::move(r.body);
  } else {
    out.error = std::string(rpc::to_string(r.failed)) + ": " +
                (r.timed_out ? std::string("timeout") : r.error.message());
  }
  co_return out;
}

}  // namespace bts::outputs::detail
