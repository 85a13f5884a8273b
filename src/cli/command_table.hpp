#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

namespace llmroof::cli {

/// One option or positional of a command, as its CLI11 definition states it.
struct OptionEntry {
  std::vector<std::string> names;  ///< "--model", "-m"; empty for a positional
  std::string positional;          ///< the positional's name ("query"); "" for an option
  std::string description;
  std::string type_name;            ///< "FILE", "FORMAT"; "" for a flag
  std::vector<std::string> values;  ///< the accepted values (IsMember), or the database's ids
  bool takes_value = false;         ///< false for a flag
  bool file = false;                ///< the value is a path (type FILE, DIR or PATH)
};

/// One command of the tree: `path` is "" for llmroof itself, "estimate", "chart roofline".
struct CommandEntry {
  std::string path;
  std::string name;
  std::string description;
  std::string footer;
  std::vector<OptionEntry> options;
  std::vector<std::string> subcommands;  ///< names of the visible subcommands
};

/// Ids that complete an option's value, by the option's long name ("--device": device ids).
using ValueLists = std::map<std::string, std::vector<std::string>>;

/// Every visible command of `app`, depth first (the root first): subcommands, options and
/// their enum values read from CLI11's App tree, so that completions and the man page cannot
/// drift from the parser. Options named in `values` take those lists as their values.
std::vector<CommandEntry> command_table(CLI::App& app, const ValueLists& values = {});

}  // namespace llmroof::cli
