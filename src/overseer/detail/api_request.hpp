// Reading the JSON API's requests (http_api.cpp): the query string, the path, and a run
// request as POST /api/runs takes it, either a JSON body {"scenario"|"preset", "name",
// "beacons", "rate", "duration", "scenario_name"} or the scenario itself as the body with the
// other fields in the query (?preset=&name=&beacons=a,b&rate=&duration=&scenario_name=).
//
// Errors: input_error naming the field ("rate: ...", "preset: unknown preset ...").
// Threads: any (pure functions).
#pragma once

#include <boost/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "overseer/overseer.hpp"
#include "rpc/server.hpp"

namespace bts::overseer::detail {

// "a=1&b=x%20y" -> {a: "1", b: "x y"} (percent and '+' decoded).
std::map<std::string, std::string> parse_query(std::string_view q);
// "/api/runs/ID" -> {"api", "runs", "ID"}.
std::vector<std::string> split_path(std::string_view p);
// A total rate (a number, or a rate string such as "50/s"); throws unless > 0 and finite.
double parse_total_rate(const boost::json::value& v, const std::string& where);
// The run request of POST /api/runs.
run_request parse_run_request(const rpc::http_request_info& req,
                              const std::map<std::string, std::string>& query);

}  // namespace bts::overseer::detail
