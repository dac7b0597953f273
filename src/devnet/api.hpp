// bitshares-core's websocket/HTTP API (libraries/app api.cpp, database_api.cpp) for one devnet
// endpoint, as an rpc::server handler.
//
// API ids per connection as fc assigns them: 0 database_api, 1 login_api, further ids allocated
// on first use of login_api's network_broadcast / history / orders / custom_operations. A string
// in place of the id is resolved through the login API ("database" -> 0), and a bare
// {"method": m} goes to API 0, as fc's websocket_api_connection does. Errors carry fc's codes and
// "Execution error: ..." messages (chain_error), -32601 for unknown methods.
//
// Threads: handle() runs on a session's strand; all chain access goes through `network`.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>

#include "devnet/network.hpp"
#include "rpc/server.hpp"

namespace bts::devnet {

class api {
 public:
  api(std::shared_ptr<network> net, std::size_t node);

  asio::awaitable<rpc::call_result> handle(std::shared_ptr<rpc::session> session,
                                           rpc::rpc_request request);
  // For rpc::server_options::on_close: drops the session's subscriptions.
  void on_close(rpc::session& session);

 private:
  std::shared_ptr<network> net_;
  std::size_t node_;
};

// database_api::get_config / login_api::get_config: graphene's compile-time constants.
boost::json::object graphene_config();

}  // namespace bts::devnet
