#include "outputs/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::outputs {

std::string_view name(output_kind k) {
  switch (k) {
    case output_kind::prometheus:
      return "prometheus";
    case output_kind::elasticsearch:
      return "elasticsearch";
    case output_kind::json:
      return "json";
  }
  return "?";
}

namespace {

constexpr const char* known_outputs = "prometheus, elasticsearch=URL, json=FILE";
constexpr const char* known_es_options =
    "prefix, index, ca, insecure, user, password_file, password_env, spool, spool_max, hdr, "
    "flush, batch, timeout";

bool parse_bool(std::string_view v, bool& out) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return out = true, true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return out = false, true;
  return false;
}

// "512M", "2G", "65536", "100k" (binary multiples).
bool parse_size(std::string_view v, std::uint64_t& out) {
  std::uint64_t mult = 1;
  std::string t(v);
  if (!t.empty()) {
    const char c = t.back();
    if (c == 'k' || c == 'K') mult = 1ull << 10;
    if (c == 'm' || c == 'M') mult = 1ull << 20;
    if (c == 'g' || c == 'G') mult = 1ull << 30;
    if (mult != 1) t.pop_back();
  }
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 12) {
    return false;
  }
  out = std::stoull(t) * mult;
  return out > 0;
}

// "500ms", "2s", "1m", or milliseconds.
bool parse_duration(std::string_view v, std::chrono::milliseconds& out) {
  std::string t(v);
  std::int64_t mult = 1;
  if (t.size() > 2 && t.ends_with("ms")) {
    t.resize(t.size() - 2);
  } else if (t.size() > 1 && t.back() == 's') {
    mult = 1000, t.pop_back();
  } else if (t.size() > 1 && t.back() == 'm') {
    mult = 60'000, t.pop_back();
  }
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 9) {
    return false;
  }
  out = std::chrono::milliseconds(std::stoll(t) * mult);
  return true;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const std::string hex(s.substr(i + 1, 2));
      char* end = nullptr;
      const long v = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Options gathered before the password can be resolved.
struct es_builder {
  elasticsearch_options o;
  std::string user_from_url;
  std::string user_option;
  std::string password_file;
  std::string password_env = "BTS_ES_PASSWORD";
};

// Applies one option; throws input_error(where, problem) with `path` in front of the problem.
void apply_option(es_builder& b, const std::string& key, const std::string& value,
                  const std::string& where, const std::string& path) {
  auto fail = [&](const std::string& problem) -> void {
    throw input_error(where, (path.empty() ? "" : path + ": ") + problem);
  };
  elasticsearch_options& o = b.o;
  if (key == "prefix") {
    try {
      check_index_prefix(value, "");
    } catch (const input_error& e) {
      fail(e.problem());
    }
    o.prefix = value;
  } else if (key == "index") {
    if (value == "daily") {
      o.index = index_mode::daily;
    } else if (value == "run") {
      o.index = index_mode::per_run;
    } else {
      fail("expected daily or run, got \"" + value + "\"");
    }
  } else if (key == "ca") {
    if (value.empty()) fail("expected a CA file (PEM)");
    if (!std::ifstream(value)) fail("cannot read CA file " + value);
    o.ca_file = value;
  } else if (key == "insecure") {
    if (!parse_bool(value, o.insecure)) fail("expected true or false, got \"" + value + "\"");
  } else if (key == "user") {
    b.user_option = value;
  } else if (key == "password_file") {
    b.password_file = value;
  } else if (key == "password_env") {
    if (value.empty()) fail("expected an environment variable name");
    b.password_env = value;
  } else if (key == "spool") {
    if (value.empty()) fail("expected a directory");
    o.spool_dir = value;
  } else if (key == "spool_max") {
    if (!parse_size(value, o.spool_max_bytes)) {
      fail("expected a size such as 512M or 2G, got \"" + value + "\"");
    }
    if (o.spool_max_bytes < 1ull << 20) fail("the spool needs at least 1M");
    o.segment_bytes = std::min<std::uint64_t>(o.segment_bytes, o.spool_max_bytes / 8);
  } else if (key == "hdr") {
    if (!parse_bool(value, o.include_hdr)) fail("expected true or false, got \"" + value + "\"");
  } else if (key == "flush") {
    if (!parse_duration(value, o.flush_interval) || o.flush_interval.count() > 60'000) {
      fail("expected a duration up to 60s such as 500ms or 2s, got \"" + value + "\"");
    }
  } else if (key == "batch") {
    std::uint64_t n = 0;
    if (value.find_first_not_of("0123456789") != std::string::npos || !parse_size(value, n) ||
        n > 100'000) {
      fail("expected a number of documents from 1 to 100000, got \"" + value + "\"");
    }
    o.max_batch_documents = n;
  } else if (key == "timeout") {
    if (!parse_duration(value, o.request_timeout) || o.request_timeout.count() < 100) {
      fail("expected a duration of at least 100ms such as 15s, got \"" + value + "\"");
    }
  } else {
    fail(std::string("unknown option \"") + key + "\" (known: " + known_es_options + ")");
  }
}

void set_url(es_builder& b, std::string_view text, const std::string& where,
             const std::string& path) {
  auto fail = [&](const std::string& problem) {
    throw input_error(where, (path.empty() ? "" : path + ": ") + problem);
  };
  if (!text.starts_with("http://") && !text.starts_with("https://")) {
    fail("expected an http:// or https:// URL, got \"" + std::string(text) + "\"");
  }
  rpc::url u;
  try {
    u = rpc::parse_url(text);
  } catch (const input_error& e) {
    fail(e.problem());
  }
  if (u.scheme != "http" && u.scheme != "https") {
    fail("expected an http:// or https:// URL, got \"" + std::string(text) + "\"");
  }
  if (!u.password.empty()) {
    fail(
        "do not put the password in the URL (it would show in process lists and logs); set "
        "BTS_ES_PASSWORD or password_file=FILE");
  }
  b.user_from_url = u.user;
  b.o.url = u.to_string();
}

elasticsearch_options finish(es_builder& b, const std::string& where, const std::string& path) {
  auto fail = [&](const std::string& problem) {
    throw input_error(where, (path.empty() ? "" : path + ": ") + problem);
  };
  if (!b.user_from_url.empty() && !b.user_option.empty() && b.user_from_url != b.user_option) {
    fail("two users given (in the URL and as user=)");
  }
  b.o.user = !b.user_from_url.empty() ? b.user_from_url : b.user_option;
  if (!b.o.ca_file.empty() && b.o.url.rfind("https://", 0) != 0) {
    fail("ca= needs an https:// URL");
  }
  if (!b.password_file.empty()) {
    if (b.o.user.empty()) fail("password_file given without a user (https://USER@host:9200)");
    std::ifstream f(b.password_file);
    if (!f) fail("cannot read password file " + b.password_file);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string pw = ss.str();
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r' || pw.back() == ' ')) {
      pw.pop_back();
    }
    if (pw.empty()) fail("password file " + b.password_file + " is empty");
    b.o.password = pw;
  } else if (!b.o.user.empty()) {
    const char* env = std::getenv(b.password_env.c_str());
    if (!env || !*env) {
      fail("no password for user \"" + b.o.user + "\": set " + b.password_env +
           " or password_file=FILE");
    }
    b.o.password = env;
  }
  b.o.where = where;
  return b.o;
}

output_spec parse_text(std::string_view text, const std::string& where, const std::string& path) {
  auto fail = [&](const std::string& problem) {
    throw input_error(where, (path.empty() ? "" : path + ": ") + problem);
  };
  output_spec spec;
  spec.where = where;
  const std::size_t eq = text.find('=');
  const std::string kind(text.substr(0, eq));
  const std::string value = eq == std::string_view::npos ? "" : std::string(text.substr(eq + 1));
  if (kind == "prometheus") {
    if (eq != std::string_view::npos) fail("prometheus takes no value (it serves /metrics)");
    spec.kind = output_kind::prometheus;
  } else if (kind == "json") {
    if (value.empty()) fail("json needs a file: json=FILE");
    spec.kind = output_kind::json;
    spec.json_file = value;
  } else if (kind == "elasticsearch" || kind == "es" || kind == "opensearch") {
    if (value.empty()) fail("elasticsearch needs a URL: elasticsearch=https://host:9200");
    spec.kind = output_kind::elasticsearch;
    es_builder b;
    const std::size_t q = value.find('?');
    const std::string es_where = where + (where == "--out" ? " elasticsearch" : "");
    set_url(b, std::string_view(value).substr(0, q), es_where, path);
    if (q != std::string::npos) {
      std::string_view query = std::string_view(value).substr(q + 1);
      while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::size_t e = pair.find('=');
        if (e == std::string_view::npos || e == 0) {
          throw input_error(es_where, (path.empty() ? "" : path + ": ") + "option \"" +
                                          std::string(pair) + "\" is not key=value");
        }
        apply_option(b, std::string(pair.substr(0, e)), percent_decode(pair.substr(e + 1)),
                     es_where, path);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
      }
    }
    spec.elasticsearch = finish(b, es_where, path);
  } else {
    fail("unknown output \"" + kind + "\" (known: " + known_outputs + ")");
  }
  return spec;
}

std::string mark(const std::string& source, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return source;
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

}  // namespace

output_spec parse_out_flag(std::string_view text) { return parse_text(text, "--out", ""); }

std::vector<output_spec> parse_outputs_node(const YAML::Node& outputs, const std::string& source) {
  std::vector<output_spec> specs;
  if (!outputs || outputs.IsNull()) return specs;
  if (!outputs.IsSequence()) {
    throw input_error(mark(source, outputs),
                      std::string("outputs: expected a list of outputs (- prometheus, "
                                  "- elasticsearch: URL, - json: FILE)"));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const YAML::Node n = outputs[i];
    const std::string path = "outputs[" + std::to_string(i) + "]";
    const std::string where = mark(source, n);
    if (n.IsScalar()) {
      specs.push_back(parse_text(n.Scalar(), where, path));
      continue;
    }
    if (!n.IsMap()) {
      throw input_error(where, path + ": expected an output name or a mapping");
    }
    std::string kind;
    YAML::Node kind_value;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (key == "prometheus" || key == "elasticsearch" || key == "json") {
        if (!kind.empty()) {
          throw input_error(mark(source, kv.first),
                            path + ": two outputs in one entry (" + kind + ", " + key + ")");
        }
        kind = key;
        kind_value = kv.second;
      }
    }
    if (kind.empty()) {
      throw input_error(where, path + ": expected one of prometheus, elasticsearch, json");
    }
    auto scalar = [&](const YAML::Node& v, const std::string& p) {
      if (!v.IsScalar()) throw input_error(mark(source, v), p + ": expected a value");
      return v.Scalar();
    };
    output_spec spec;
    spec.where = where;
    if (kind == "prometheus") {
      if (n.size() != 1 ||
          !(kind_value.IsNull() || (kind_value.IsScalar() && kind_value.Scalar().empty()))) {
        throw input_error(where, path + ": prometheus takes no options");
      }
      spec.kind = output_kind::prometheus;
    } else if (kind == "json") {
      if (n.size() != 1) throw input_error(where, path + ": json takes only a file");
      spec.kind = output_kind::json;
      spec.json_file = scalar(kind_value, path + ".json");
      if (spec.json_file.empty()) throw input_error(where, path + ".json: expected a file");
    } else {
      spec.kind = output_kind::elasticsearch;
      es_builder b;
      set_url(b, scalar(kind_value, path + ".elasticsearch"), mark(source, kind_value),
              path + ".elasticsearch");
      for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        if (key == "elasticsearch") continue;
        apply_option(b, key, scalar(kv.second, path + "." + key), mark(source, kv.first),
                     path + "." + key);
      }
      spec.elasticsearch = finish(b, where, path);
    }
    specs.push_back(std::move(spec));
  }
  check_outputs(specs);
  return specs;
}

std::vector<output_spec> parse_outputs_yaml(std::string_view yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    throw input_error(where, "not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) return {};
  return parse_outputs_node(root["outputs"], source);
}

void check_outputs(const std::vector<output_spec>& specs) {
  bool prometheus = false;
  std::set<std::string> spools;
  for (const output_spec& s : specs) {
    if (s.kind == output_kind::prometheus) {
      if (prometheus) throw input_error(s.where, "prometheus given twice");
      prometheus = true;
    }
    if (s.kind == output_kind::elasticsearch) {
      const std::string dir =
          s.elasticsearch.spool_dir.empty() ? "bts-es-spool" : s.elasticsearch.spool_dir;
      if (!spools.insert(dir).second) {
        throw input_error(s.where, "two elasticsearch outputs share the spool directory " + dir +
                                       " (give each its own spool=DIR)");
      }
    }
  }
}

}  // namespace bts::outputs
