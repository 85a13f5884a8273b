// llmroof._core: the core as a Python extension. The Python package (llmroof/__init__.py) turns
// keyword arguments into the request JSON the core reads (estimate_request_from_json) and the
// JSON documents this module returns into dicts, so that every value is the CLI's JSON value.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/app/request_json.hpp"
#include "llmroof/builtin_data.hpp"
#include "llmroof/model/inspect.hpp"
#include "llmroof/model/model_files.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/platform/load_database.hpp"
#include "llmroof/platform/model_source.hpp"
#include "llmroof/report/listings.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/version.hpp"

namespace py = pybind11;

namespace llmroof::python {

namespace {

// A request field is named in Python by its keyword argument, which is the field id itself.
std::string keyword(std::string_view field) { return std::string(field); }

// The bytes of a file given as Python bytes, owned by the source.
class OwnedSource final : public ByteSource {
 public:
  explicit OwnedSource(std::string bytes)
      : m_bytes(std::move(bytes)), m_view(std::string_view(m_bytes)) {}
  OwnedSource(const OwnedSource&) = delete;
  OwnedSource& operator=(const OwnedSource&) = delete;
  std::uint64_t size() const override { return m_view.size(); }
  void read(std::uint64_t offset, std::span<std::byte> out) override { m_view.read(offset, out); }

 private:
  std::string m_bytes;
  MemorySource m_view;
};

// Model files from Python: each item a path (str: a config.json, a directory, a .gguf with all
// its split parts) or a (name, bytes) pair.
std::vector<ModelFile> model_files(const py::list& items, std::string_view field) {
  std::vector<ModelFile> files;
  for (const auto& item : items) {
    if (py::isinstance<py::str>(item)) {
      const auto path = item.cast<std::string>();
      auto opened = open_model_files(path);
      if (!opened) {
        throw RequestError(std::string(field), "no such file or directory '" + path + "' for {" +
                                                   std::string(field) + "}");
      }
      for (auto& file : *opened) {
        files.push_back(std::move(file));
      }
    } else {
      const auto pair = item.cast<py::tuple>();
      auto name = pair[0].cast<std::string>();
      auto bytes = pair[1].cast<std::string>();  // bytes are copied once, into the source
      files.push_back({std::move(name), std::make_shared<OwnedSource>(std::move(bytes))});
    }
  }
  return files;
}

// The JSON document of a report, as `llmroof ... --format json` writes it, with the notes and
// warnings naming request fields as keyword arguments.
std::string json_document(Report report) {
  for (auto* list : {&report.notes, &report.warnings}) {
    for (auto& text : *list) {
      text = RequestError::render_fields(text, keyword);
    }
  }
  RenderOptions options;
  options.tool_version = k_version;
  return render_text(report, OutputFormat::json, options);
}

// Raises the llmroof.errors class `name` built from `args`.
[[noreturn]] void raise(const char* name, const py::tuple& args) {
  const py::object cls = py::module_::import("llmroof.errors").attr(name);
  const py::object error = cls(*args);
  PyErr_SetObject(cls.ptr(), error.ptr());
  throw py::error_already_set();
}

void translate(std::exception_ptr thrown) {
  try {
    if (thrown) {
      std::rethrow_exception(thrown);
    }
  } catch (const py::error_already_set&) {
    throw;
  } catch (const RequestError& e) {
    raise("RequestError", py::make_tuple(e.render(keyword), e.field(), e.suggestions()));
  } catch (const UsageError& e) {
    raise("UsageError", py::make_tuple(e.what()));
  } catch (const DataError& e) {
    raise("DataError", py::make_tuple(e.what(), e.messages()));
  } catch (const FileFormatError& e) {
    raise("ModelFileError", py::make_tuple(e.what(), e.offset()));
  } catch (const ModelSpecError& e) {
    raise("ModelFileError", py::make_tuple(e.what(), py::none()));
  } catch (const Error& e) {
    raise("Error", py::make_tuple(e.what()));
  }
}

Database make_database(const std::optional<std::string>& data_dir,
                       const std::vector<std::string>& device_files,
                       const std::vector<std::string>& calibrations) {
  if (data_dir) {
    return load_database({data_dir, {}, device_files, calibrations});
  }
  DataTexts texts = builtin_data_texts();
  for (const auto& file : device_files) {
    texts.extra_devices.push_back({file, read_text_file(file)});
  }
  for (const auto& file : calibrations) {
    texts.calibrations.push_back({file, read_text_file(file)});
  }
  return Database(std::move(texts));
}

}  // namespace

}  // namespace llmroof::python

PYBIND11_MODULE(_core, m) {
  using namespace llmroof;
  using namespace llmroof::python;
  m.doc() = "The llmroof core (use the llmroof package, not this module)";
  m.attr("version") = k_version;
  py::register_exception_translator(translate);

  py::class_<Database>(m, "Database")
      .def(py::init(&make_database), py::arg("data_dir") = py::none(),
           py::arg("device_files") = std::vector<std::string>{},
           py::arg("calibrations") = std::vector<std::string>{})
      .def(
          "_estimate_json",
          [](const Database& db, const std::string& request, const py::list& model,
             const py::list& draft) {
            EstimateRequest r = estimate_request_from_json(request, model_files(model, "model"),
                                                           model_files(draft, "draft"));
            return json_document(run_estimate(db, r));
          },
          py::arg("request"), py::arg("model_files"), py::arg("draft_files"))
      .def(
          "_devices_json",
          [](const Database& db, const std::string& query) {
            return json_document(devices_report(db.devices_with_sources(), query));
          },
          py::arg("query"))
      .def(
          "_models_json",
          [](const Database& db, const std::string& query) {
            return json_document(models_report(db.models(), query));
          },
          py::arg("query"))
      .def(
          "_inspect_json",
          [](const Database&, const py::list& files) {
            return json_document(inspect_report(read_model_files(model_files(files, "model"))));
          },
          py::arg("model_files"));

  m.def(
      "_builtin_text",
      [](const std::string& name) -> std::optional<py::bytes> {
        const DataTexts texts = builtin_data_texts();
        for (const auto* file : {&texts.devices, &texts.device_sources, &texts.models,
                                 &texts.efficiency, &texts.links}) {
          if (file->name == name) {
            return py::bytes(file->text);
          }
        }
        return std::nullopt;
      },
      py::arg("name"), "The compiled-in text of a shipped data file, None when not compiled in");
}
