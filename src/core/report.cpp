#include "llmroof/report.hpp"

namespace llmroof {

int Report::column_index(const std::string& id) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].id == id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace llmroof
