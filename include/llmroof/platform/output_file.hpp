#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace llmroof {

/// Writes `text` to `path` so that a failure leaves an existing file untouched: a regular file
/// (or a new one) is written to a temporary file in the same directory, flushed, closed and
/// renamed into place; a non-regular target (/dev/full, a pipe, /dev/stdout) is written directly.
/// Every write, flush and close is checked. Throws Error "cannot write 'PATH': <system message>".
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

/// Throws UsageError when `output` is the same file (same device and inode) as one of `inputs`,
/// so that an output never overwrites the file it was computed from. Paths that do not exist are
/// ignored. `what` names the output's option in the message (e.g. "--output").
void refuse_output_over_input(const std::filesystem::path& output,
                              const std::vector<std::filesystem::path>& inputs,
                              std::string_view what);

}  // namespace llmroof
