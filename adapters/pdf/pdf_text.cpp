// pdf_text.hpp through poppler-cpp 22.x.
#include "adapters/pdf/pdf_text.hpp"

#include <climits>
#include <memory>
#include <mutex>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

namespace rm::pdf {

namespace {
void ignore_poppler_message(const std::string&, void*) {}
}  // namespace

pdf_text_result pdf_text(const std::string& bytes) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { poppler::set_debug_error_function(ignore_poppler_message, nullptr); });
  pdf_text_result out;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    out.error = "the PDF is too large";
    return out;
  }
  // load_from_raw_data does not copy: `bytes` outlives `doc`.
  std::unique_ptr<poppler::document> doc{
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size()))};
  if (!doc) {
    out.error = "the PDF could not be read";
    return out;
  }
  if (doc->is_locked()) {
    out.error = "the PDF is encrypted with a password";
    return out;
  }
  const int pages = doc->pages();
  if (pages > max_pdf_pages) {
    out.error = "the PDF has " + std::to_string(pages) + " pages (at most " +
                std::to_string(max_pdf_pages) + ")";
    return out;
  }
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page{doc->create_page(i)};
    if (!page) continue;
    auto utf8 = page->text().to_utf8();
    if (utf8.empty()) continue;
    if (!out.text.empty()) out.text += "\n\n";
    out.text.append(utf8.data(), utf8.size());
  }
  out.ok = true;
  return out;
}

}  // namespace rm::pdf
