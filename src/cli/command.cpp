#include "cli/command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

bool is_base58(char c) {
  return (c >= '1' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O') ||
         (c >= 'a' && c <= 'z' && c != 'l');
}

// The last guard of "never echo a key": whatever a parser put in an error (a path, an argument
// CLI11 did not expect), a run of base58 shaped like a WIF private key (or most of one: 45 to 52
// characters starting with 5, K or L) is replaced before the line reaches stderr. Public keys
// (BTS...), hex ids and digests do not have that shape.
std::string redact_keys(std::string text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && is_base58(text[j])) ++j;
    if (j == i) {
      out += text[i++];
      continue;
    }
    const std::size_t n = j - i;
    const char first = text[i];
    if (n >= 45 && n <= 52 && (first == '5' || first == 'K' || first == 'L'))
      out += "<private key>";
    else
      out.append(text, i, n);
    i = j;
  }
  return out;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return redact_keys(std::move(text));
}

}  // namespace

int run(int argc, const char* const* argv, io& streams) {
  CLI::App app{"bts-infra: stress testing, monitoring and a devnet for BitShares (Graphene)",
               "bts-infra"};
  app.set_version_flag("--version", std::string("bts-infra ") + BTS_INFRA_VERSION);
  app.require_subcommand(0, 1);
  app.fallthrough(false);

  std::vector<command> commands = all_commands();
  std::vector<std::function<int(io&)>> actions(commands.size());
  std::vector<CLI::App*> subs;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    CLI::App* sub = app.add_subcommand(commands[i].name, commands[i].summary);
    actions[i] = commands[i].setup(*sub);
    subs.push_back(sub);
  }
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Show help for bts-infra or one of its commands");
  help->add_option("command", help_topic, "command to describe");

  const std::string prog = "bts-infra";
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    streams.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    streams.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    streams.out << std::string("bts-infra ") + BTS_INFRA_VERSION << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 reports which subcommand's flags failed through the exception text only.
    std::string where = prog;
    for (CLI::App* sub : subs) {
      if (sub->parsed()) where += " " + sub->get_name();
    }
    streams.err << where << ": " << one_line(e.what()) << " (see '" << where << " --help')\n";
    return exit_bad_input;
  }

  if (help->parsed() || app.get_subcommands().empty()) {
    if (help_topic.empty()) {
      // Not app.help(): once `help` was parsed, CLI11 describes that selected subcommand.
      streams.out << app.get_formatter()->make_help(&app, prog, CLI::AppFormatMode::Normal);
      return 0;
    }
    for (CLI::App* sub : subs) {
      if (sub->get_name() == help_topic) {
        streams.out << sub->help(prog);
        return 0;
      }
    }
    streams.err << prog << " help: unknown command '" << one_line(help_topic) << "'\n";
    return exit_bad_input;
  }

  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (!subs[i]->parsed()) continue;
    std::string where = prog + " " + subs[i]->get_name();
    for (CLI::App* nested : subs[i]->get_subcommands()) where += " " + nested->get_name();
    try {
      return actions[i](streams);
    } catch (const input_error& e) {
      streams.err << where << ": " << one_line(e.what()) << "\n";
      return exit_bad_input;
    } catch (const std::exception& e) {
      streams.err << where << ": " << one_line(e.what()) << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace bts::cli
