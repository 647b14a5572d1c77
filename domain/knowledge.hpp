// The clinic's knowledge base (issue 12 §2): pure rules for uploaded documents. No I/O: the HTTP
// route (adapters/http/knowledge_routes.cpp) decodes and sniffs the upload with these, PDF text
// comes from adapters/pdf, passages are stored and searched by persistence/knowledge_queries.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rm::domain {

enum class document_format { plain_text, markdown, pdf };

// "text/plain" | "text/markdown" | "application/pdf" (exactly, lower-case) → the format.
std::optional<document_format> document_format_of(const std::string& content_type);
const char* content_type_of(document_format f);

// The largest document accepted, in bytes of the document itself (a PDF's bytes after base64
// decoding, a text's UTF-8 bytes). The HTTP server's 1 MiB body limit (413) comes first; base64
// of 512 KiB is 683 KiB, so a PDF at the limit still fits in one request.
constexpr std::size_t max_document_bytes = 512 * 1024;
constexpr std::size_t max_document_name = 200;  // characters of the document's name

// Refuses bytes that are not what the content type claims: a PDF must start with the "%PDF-"
// header (within its first 1,024 bytes, as PDF 1.7 §7.5.2 allows readers to accept); a text or
// Markdown document must not be a PDF (that header at its start). nullopt when acceptable, else
// the sentence of why not.
std::optional<std::string> sniff_document(const std::string& bytes, document_format f);

// Standard base64 (RFC 4648 §4: A–Z a–z 0–9 + /, "=" padding optional); whitespace (line
// breaks of MIME-style base64) is ignored. nullopt for any other character or a bad length.
std::optional<std::string> decode_base64(const std::string& text);

// Passages: how a document is indexed. Targets 500–800 characters (bytes of UTF-8 text) each:
//  - whitespace runs become one space inside a paragraph (a PDF's hard line breaks go away);
//    paragraphs are separated by blank lines and kept whole while they fit (joined with "\n\n");
//  - Markdown: a heading line ("#" … "######" and a space) always starts a new passage, and its
//    text (without the #) stays with the paragraph that follows it, never alone at a passage's
//    end; "*", "-", "+" list items and numbered items are paragraphs of their own;
//  - a paragraph longer than 800 is cut at the last sentence end (". ", "? ", "! ") between 500
//    and 800, else at the last space before 800: never inside a word. A single "word" longer
//    than 800 bytes (no space at all) is cut at 800, moved back to a UTF-8 character boundary.
// Shorter passages happen where a document or a Markdown section is short. Empty text → none.
constexpr std::size_t passage_min = 500;
constexpr std::size_t passage_max = 800;
std::vector<std::string> split_passages(const std::string& text, document_format f);

// One passage found by a search, with the name of its document.
struct knowledge_hit {
  std::string document_name;
  std::string text;
};
// The search_knowledge_base tool's result text: each hit as "[<document name>] <passage>",
// separated by a blank line, in the order given (best first), at most `limit` bytes in all
// (so at most `limit` characters): a hit that does not fit whole is cut at a word boundary and
// ends with "…"; hits after it are left out. No hit → a sentence saying nothing matched `query`.
constexpr std::size_t knowledge_result_limit = 1500;
std::string knowledge_result_text(const std::vector<knowledge_hit>& hits, const std::string& query,
                                  std::size_t limit = knowledge_result_limit);

}  // namespace rm::domain
