#include "command_table.hpp"

#include <algorithm>

namespace llmroof::cli {

namespace {

// CLI11 appends each validator's description to the type name, an IsMember one as "{a,b,c}":
// "FORMAT:{table,md,csv}".
std::vector<std::string> member_values(const CLI::Option& option) {
  std::vector<std::string> values;
  const std::string full = option.get_type_name();
  std::size_t open = full.find(":{");
  while (open != std::string::npos) {
    const std::size_t close = full.find('}', open);
    if (close == std::string::npos) {
      break;
    }
    std::size_t start = open + 2;
    while (start < close) {
      const std::size_t comma = std::min(full.find(',', start), close);
      values.push_back(full.substr(start, comma - start));
      start = comma + 1;
    }
    open = full.find(":{", close);
  }
  return values;
}

// The type name without the validators' descriptions CLI11 appends ("FORMAT:{table,md}").
std::string base_type_name(const CLI::Option& option) {
  const std::string full = option.get_type_name();
  return full.substr(0, full.find(':'));
}

void walk(CLI::App& app, const std::string& path, const ValueLists& lists,
          std::vector<CommandEntry>& out) {
  CommandEntry entry;
  entry.path = path;
  entry.name = app.get_name();
  entry.description = app.get_description();
  entry.footer = app.get_footer();
  for (CLI::Option* option : app.get_options([](const CLI::Option* o) {
         return !o->get_group().empty();  // an empty group hides an option
       })) {
    OptionEntry o;
    for (const auto& l : option->get_lnames()) {
      o.names.push_back("--" + l);
    }
    for (const auto& s : option->get_snames()) {
      o.names.push_back("-" + s);
    }
    if (!option->nonpositional()) {
      o.positional = option->get_name(true);
    }
    o.description = option->get_description();
    o.takes_value = option->get_expected_max() > 0;
    if (o.takes_value) {
      o.type_name = base_type_name(*option);
      o.file = o.type_name == "FILE" || o.type_name == "DIR" || o.type_name == "PATH";
      o.values = member_values(*option);
      if (!o.names.empty()) {
        if (const auto it = lists.find(o.names.front()); it != lists.end()) {
          o.values = it->second;
        }
      }
    }
    entry.options.push_back(std::move(o));
  }
  std::vector<CLI::App*> subs =
      app.get_subcommands([](CLI::App* sub) { return !sub->get_group().empty(); });
  for (CLI::App* sub : subs) {
    entry.subcommands.push_back(sub->get_name());
  }
  out.push_back(std::move(entry));
  for (CLI::App* sub : subs) {
    walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), lists, out);
  }
}

}  // namespace

std::vector<CommandEntry> command_table(CLI::App& app, const ValueLists& values) {
  std::vector<CommandEntry> out;
  walk(app, "", values, out);
  return out;
}

}  // namespace llmroof::cli
