// A PDF's text, through poppler's C++ API (Debian libpoppler-cpp-dev): what the knowledge base
// indexes for an uploaded PDF (adapters/http/knowledge_routes.cpp). No CAF, no database.
#pragma once

#include <string>

namespace rm::pdf {

struct pdf_text_result {
  bool ok = false;
  std::string text;   // UTF-8: the pages' text in order, a blank line between pages
  std::string error;  // when !ok: unreadable, encrypted, too many pages
};

constexpr int max_pdf_pages = 500;

// Extracts the text of the PDF `bytes` (already sniffed: domain::sniff_document). Refuses a
// document poppler cannot load, one that needs a password, and one of more than max_pdf_pages
// pages. A PDF without text (a scan) gives ok with empty text: the caller refuses it.
// poppler's own diagnostics are silenced (they would go to stderr, outside the log format).
pdf_text_result pdf_text(const std::string& bytes);

}  // namespace rm::pdf
