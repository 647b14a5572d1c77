// The clinic's knowledge base (issue 12 §2): documents the agent searches with the
// search_knowledge_base tool (actors/call.cpp).
//   GET    /api/knowledge-base        member  {"documents":[…]} newest first
//   POST   /api/knowledge-base        admin   → 201 {"document":…}
//   DELETE /api/knowledge-base/{id}   admin   {"success":true,"document":…(as it was)}
// POST body (JSON): {"name": 1–200 characters, "content_type": "text/plain" | "text/markdown" |
// "application/pdf", and "content": the UTF-8 text (text types) or "content_base64": the PDF's
// bytes in standard base64 (application/pdf)}. The document (the text's bytes, the PDF's decoded
// bytes) may be at most domain::max_document_bytes (512 KiB): larger → 413 document_too_large;
// the whole request body stays under the server's 1 MiB (413 payload_too_large before routing).
// Errors (400): invalid_field naming the field; content_type_mismatch (a "PDF" without the
// %PDF- header, or a text that is a PDF); unreadable_pdf (poppler cannot open it, or it is
// encrypted, or over 500 pages); no_text (nothing to index, e.g. a scanned PDF). 404 for an
// unknown id or another tenant's. The text is split into passages (domain/knowledge.hpp) and
// indexed in PostgreSQL (persistence/knowledge_queries.hpp); the upload itself is not kept.
#include "adapters/http/api_input.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/pdf/pdf_text.hpp"
#include "domain/knowledge.hpp"
#include "persistence/knowledge_queries.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

json document_json(const p::knowledge_document_row& d) {
  return {{"id", d.id},
          {"name", d.name},
          {"content_type", d.content_type},
          {"passages", d.passages},
          {"bytes", d.bytes},
          {"created_at", utc(d.created_at)}};
}

// UTF-8 characters of a valid UTF-8 string (json_guard checked the encoding).
std::size_t characters(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

struct upload {
  std::string name;
  domain::document_format format = domain::document_format::plain_text;
  std::string bytes;       // the document: text, or the PDF's decoded bytes
  std::string bytes_field;  // "content" or "content_base64": where errors about it point
};

// Reads the body; on refusal answers and returns false.
bool read_upload(const json& body, httplib::Response& res, upload& in) {
  if (!body.is_object()) {
    send_field_error(res, {"", "the body must be a JSON object"});
    return false;
  }
  const json* content = nullptr;
  const json* content_base64 = nullptr;
  std::optional<std::string> content_type;
  bool named = false;
  for (const auto& [key, value] : body.items()) {
    if (key == "name") {
      if (!value.is_string()) return send_field_error(res, {key, "name must be a string"}), false;
      in.name = value.get<std::string>();
      auto n = characters(in.name);
      if (in.name.find_first_not_of(" \t\r\n") == std::string::npos || n > domain::max_document_name)
        return send_field_error(res, {key, "name must have 1 to 200 characters"}), false;
      named = true;
    } else if (key == "content_type") {
      if (!value.is_string())
        return send_field_error(res, {key, "content_type must be a string"}), false;
      content_type = value.get<std::string>();
    } else if (key == "content") {
      content = &value;
    } else if (key == "content_base64") {
      content_base64 = &value;
    } else {
      return send_field_error(res, {key, "unknown field '" + key + "'"}), false;
    }
  }
  if (!named) return send_field_error(res, {"name", "name is required"}), false;
  if (!content_type)
    return send_field_error(res, {"content_type", "content_type is required"}), false;
  auto format = domain::document_format_of(*content_type);
  if (!format) {
    return send_field_error(res, {"content_type",
                                  "content_type must be text/plain, text/markdown or "
                                  "application/pdf"}),
           false;
  }
  in.format = *format;
  const bool pdf = *format == domain::document_format::pdf;
  in.bytes_field = pdf ? "content_base64" : "content";
  const json* given = pdf ? content_base64 : content;
  const json* other = pdf ? content : content_base64;
  if (other != nullptr) {
    return send_field_error(res, {pdf ? "content" : "content_base64",
                                  pdf ? "a PDF is sent as content_base64"
                                      : "a text document is sent as content"}),
           false;
  }
  if (given == nullptr || !given->is_string())
    return send_field_error(res, {in.bytes_field, in.bytes_field + " (a string) is required"}),
           false;
  if (pdf) {
    auto decoded = domain::decode_base64(given->get_ref<const std::string&>());
    if (!decoded)
      return send_field_error(res, {in.bytes_field, "content_base64 is not valid base64"}), false;
    in.bytes = std::move(*decoded);
  } else {
    in.bytes = given->get<std::string>();
  }
  if (in.bytes.empty())
    return send_field_error(res, {in.bytes_field, "the document is empty"}), false;
  if (in.bytes.size() > domain::max_document_bytes) {
    send_error(res, 413, "document_too_large",
               "the document has " + std::to_string(in.bytes.size()) + " bytes (at most " +
                   std::to_string(domain::max_document_bytes) + ")",
               in.bytes_field);
    return false;
  }
  if (auto wrong = domain::sniff_document(in.bytes, in.format)) {
    send_error(res, 400, "content_type_mismatch", *wrong, in.bytes_field);
    return false;
  }
  return true;
}

void list_documents(context& ctx, const httplib::Request&, httplib::Response& res,
                    const principal& who) {
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& d : p::list_knowledge_documents(tx)) out.push_back(document_json(d));
    return true;
  });
  send_json(res, 200, {{"documents", out}});
}

void create_document(context& ctx, const httplib::Request& req, httplib::Response& res,
                     const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  upload in;
  if (!read_upload(body, res, in)) return;
  std::string text = in.bytes;
  if (in.format == domain::document_format::pdf) {
    auto extracted = pdf::pdf_text(in.bytes);
    if (!extracted.ok) return send_error(res, 400, "unreadable_pdf", extracted.error, in.bytes_field);
    text = std::move(extracted.text);
  }
  auto passages = domain::split_passages(text, in.format);
  if (passages.empty()) {
    return send_error(res, 400, "no_text",
                      "the document has no text to index (a scanned PDF needs OCR first)",
                      in.bytes_field);
  }
  p::knowledge_document_row row;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = p::insert_knowledge_document(tx, who.org_id, in.name, domain::content_type_of(in.format),
                                       static_cast<long long>(in.bytes.size()), passages);
    return true;
  });
  send_json(res, 201, {{"document", document_json(row)}});
}

void delete_document(context& ctx, const httplib::Request& req, httplib::Response& res,
                     const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::knowledge_document_row> row;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = p::delete_knowledge_document(tx, id);
    return row.has_value();
  });
  if (!row) return send_error(res, 404, "not_found", "no document with id " + id);
  send_json(res, 200, {{"success", true}, {"document", document_json(*row)}});
}

}  // namespace

void add_knowledge_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"GET", "/api/knowledge-base", "member", list_documents},
                       {"POST", "/api/knowledge-base", "admin", create_document},
                       {"DELETE", "/api/knowledge-base/{id}", "admin", delete_document},
                   });
}

}  // namespace rm::http
