#pragma once

// Text from model and device files made safe for a terminal.

#include <string>
#include <string_view>

namespace llmroof {

/// `text` with every control character (C0, DEL and the UTF-8 encoded C1 range U+0080..U+009F)
/// written as a visible escape ("\x1b"), so names from model and device files cannot clear the
/// screen or set a terminal's title through a table or a message. Other bytes are kept, and
/// line breaks too when `keep_line_breaks` (messages of several lines).
std::string terminal_safe(std::string_view text, bool keep_line_breaks = false);

/// True when `text` is well-formed UTF-8 (no stray continuation bytes, overlong forms,
/// surrogates or code points past U+10FFFF): what JSON output needs of a string.
bool valid_utf8(std::string_view text);

}  // namespace llmroof
