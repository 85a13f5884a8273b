// The core for the web page: C functions taking and returning JSON text, called from app.js
// through emscripten's ccall. Every answer is one JSON document: the report of
// `llmroof ... --format json`, or {"error": {...}}.
//
// A dropped model file is handed over as a prefix of its bytes (the header) with the file's
// size; when the reader asks for bytes past the prefix the answer is
// {"error": {"kind": "need_bytes", "bytes": N}} and the page retries with the first N bytes,
// so that a GGUF of any size is read from its header alone.

#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/chart_request.hpp"
#include "llmroof/app/database.hpp"
#include "llmroof/app/model_choice.hpp"
#include "llmroof/app/request_json.hpp"
#include "llmroof/builtin_data.hpp"
#include "llmroof/model/inspect.hpp"
#include "llmroof/model/model_files.hpp"
#include "llmroof/report/listings.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/report/svg_charts.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/version.hpp"

namespace llmroof::web {

namespace {

// The reader asked for bytes of a dropped file past the prefix the page handed over.
class MoreBytesNeeded : public std::exception {
 public:
  explicit MoreBytesNeeded(std::uint64_t bytes) : m_bytes(bytes) {}
  std::uint64_t bytes() const { return m_bytes; }
  const char* what() const noexcept override { return "more bytes of the model file needed"; }

 private:
  std::uint64_t m_bytes;
};

// The first bytes of a file of `size` bytes.
class PrefixSource final : public ByteSource {
 public:
  PrefixSource(std::string prefix, std::uint64_t size)
      : m_prefix(std::move(prefix)), m_size(size) {}
  std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, std::span<std::byte> out) override {
    const std::uint64_t end = offset + out.size();
    if (end > m_prefix.size()) {
      throw MoreBytesNeeded(end);
    }
    std::memcpy(out.data(), m_prefix.data() + offset, out.size());
  }

 private:
  std::string m_prefix;
  std::uint64_t m_size;
};

const Database& database() {
  static const Database db(builtin_data_texts());
  return db;
}

std::vector<ModelFile>& dropped_files() {
  static std::vector<ModelFile> files;
  return files;
}

// The text of the last answer; valid until the next call.
const char* answer(std::string text) {
  static std::string last;
  last = std::move(text);
  return last.c_str();
}

// The JSON document of a report; `{field}` placeholders in notes and warnings stay as the
// field ids, for the page to name as its inputs.
std::string json_document(const Report& report) {
  RenderOptions options;
  options.tool_version = k_version;
  // Placeholders stay as {field}: the page names each field as its own input.
  options.field_name = [](std::string_view field) { return "{" + std::string(field) + "}"; };
  return render_text(report, OutputFormat::json, options);
}

std::string error_document(const std::string& kind, const std::string& message,
                           const std::string& field = "",
                           const std::vector<std::string>& suggestions = {}) {
  nlohmann::json error = {{"kind", kind}, {"message", message}};
  if (!field.empty()) {
    error["field"] = field;
    error["suggestions"] = suggestions;
  }
  return nlohmann::json{{"error", error}}.dump();
}

// Runs `body`, turning every error into an error document.
template <typename Body>
const char* guarded(Body body) {
  try {
    return answer(body());
  } catch (const MoreBytesNeeded& e) {
    nlohmann::json error = {{"kind", "need_bytes"}, {"bytes", e.bytes()}, {"message", e.what()}};
    return answer(nlohmann::json{{"error", error}}.dump());
  } catch (const RequestError& e) {
    // The message keeps {field} placeholders, rendered by the page as its labels.
    return answer(error_document("request", e.message_template(), e.field(), e.suggestions()));
  } catch (const UsageError& e) {
    return answer(error_document("usage", e.what()));
  } catch (const DataError& e) {
    return answer(error_document("data", e.what()));
  } catch (const ModelSpecError& e) {
    return answer(error_document("model_file", e.what()));
  } catch (const FileFormatError& e) {
    return answer(error_document("model_file", e.what()));
  } catch (const std::exception& e) {
    return answer(error_document("internal", e.what()));
  }
}

}  // namespace

}  // namespace llmroof::web

extern "C" {

/// The tool version ("0.1.0").
EMSCRIPTEN_KEEPALIVE const char* llmroof_version() { return llmroof::k_version; }

/// An estimate from a request JSON object (see estimate_request_from_json); with `use_files`
/// non-zero the model is the dropped file.
EMSCRIPTEN_KEEPALIVE const char* llmroof_estimate(const char* request, int use_files) {
  using namespace llmroof;
  return web::guarded([&] {
    std::vector<ModelFile> files;
    if (use_files != 0) {
      files = web::dropped_files();
    }
    const EstimateRequest r = estimate_request_from_json(request, std::move(files));
    return web::json_document(run_estimate(web::database(), r));
  });
}

/// The charts of an estimate request, as `llmroof chart compare` and `llmroof chart roofline`
/// draw them: {"compare": SVG, "roofline": SVG or null (device groups and offload have no
/// roofline)}. With `use_files` non-zero the model is the dropped file.
EMSCRIPTEN_KEEPALIVE const char* llmroof_charts(const char* request, int use_files) {
  using namespace llmroof;
  return web::guarded([&] {
    auto make = [&] {
      std::vector<ModelFile> files;
      if (use_files != 0) {
        files = web::dropped_files();
      }
      return estimate_request_from_json(request, std::move(files));
    };
    const EstimateRequest r = make();
    nlohmann::json charts;
    charts["compare"] = render_svg(run_estimate(web::database(), r));
    charts["roofline"] = nullptr;
    try {
      const RooflineOutcome roofline = run_roofline(web::database(), make());
      charts["roofline"] = render_svg(roofline.report, roofline.chart.title);
    } catch (const RequestError&) {
      // A group, offload or speculative request: the comparison only.
    }
    return charts.dump();
  });
}

/// The devices matching `query` (all when empty), as `llmroof devices --format json`.
EMSCRIPTEN_KEEPALIVE const char* llmroof_devices(const char* query) {
  using namespace llmroof;
  return web::guarded(
      [&] { return web::json_document(devices_report(web::database().devices(), query)); });
}

/// The catalog models matching `query`, as `llmroof models --format json`.
EMSCRIPTEN_KEEPALIVE const char* llmroof_models(const char* query) {
  using namespace llmroof;
  return web::guarded(
      [&] { return web::json_document(models_report(web::database().models(), query)); });
}

/// Every quant name with its size for the catalog model `model` (`llmroof quants --model`).
EMSCRIPTEN_KEEPALIVE const char* llmroof_quants(const char* model) {
  using namespace llmroof;
  return web::guarded([&] {
    const ModelChoice choice = resolve_model(web::database(), {model, {}}, std::string("fp16"));
    return web::json_document(quants_report(choice.input.spec, ""));
  });
}

/// Replaces the dropped model files by one file `name` of `size` bytes whose first
/// `prefix_bytes` bytes are at `prefix` (copied).
EMSCRIPTEN_KEEPALIVE void llmroof_set_model_file(const char* name, const char* prefix,
                                                 std::uint32_t prefix_bytes, double size) {
  auto& files = llmroof::web::dropped_files();
  files.clear();
  files.push_back({name, std::make_shared<llmroof::web::PrefixSource>(
                             std::string(prefix, prefix_bytes), static_cast<std::uint64_t>(size))});
}

/// What llmroof reads from the dropped file, as `llmroof inspect --format json`.
EMSCRIPTEN_KEEPALIVE const char* llmroof_inspect() {
  using namespace llmroof;
  return web::guarded(
      [&] { return web::json_document(inspect_report(read_model_files(web::dropped_files()))); });
}
}
