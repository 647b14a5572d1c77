// The clinic's knowledge base (issue 12 §2): uploads (a PDF, a Markdown document), the list,
// delete, every refusal, and the search_knowledge_base tool through /webhooks/vapi tool-calls,
// tenant by tenant.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";

std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += digits[(n >> s) & 63];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A one-page PDF 1.4 showing `lines` in Helvetica, one text line each, with a correct xref
// table (byte offsets computed here), so poppler reads it without repairing it.
std::string tiny_pdf(const std::vector<std::string>& lines) {
  std::string content = "BT /F1 12 Tf 14 TL 72 720 Td";
  for (const auto& l : lines) content += " (" + l + ") Tj T*";
  content += " ET";
  std::vector<std::string> objects{
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
      " /Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
          "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const auto xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto o : offsets) {
    char row[32];
    std::snprintf(row, sizeof row, "%010zu 00000 n \n", o);
    pdf += row;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

const char* faq_md =
    "# Harbor Dental FAQ\n\n"
    "## Opening hours\n\nWe are open Monday to Friday from 9 am to 5 pm.\n\n"
    "## Parking\n\nFree parking is behind the building, entrance on Pine Street.\n";

json pdf_upload(const std::string& name, const std::string& bytes) {
  return {{"name", name}, {"content_type", "application/pdf"}, {"content_base64", base64(bytes)}};
}

std::string search(fixture& f, const std::string& call_id, const std::string& number,
                   const std::string& query) {
  auto r = f.tool_result(tool_calls(call_id, number,
                                    {{call_id + "-kb", "search_knowledge_base", {{"query", query}}}}));
  INFO(r.dump());
  REQUIRE(r.contains("result"));
  return r["result"].get<std::string>();
}

}  // namespace

TEST_CASE("a PDF and a Markdown document upload and the tool finds the walk-ins passage") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Bay Smiles", number_b);
  auto admin = mint(a);

  auto pdf = f.post("/api/knowledge-base", admin,
                    pdf_upload("Front desk policies.pdf",
                               tiny_pdf({"Walk-ins: yes, we take walk-ins every weekday",
                                         "morning before noon. Patients with an appointment",
                                         "are seen first."})));
  INFO(pdf.text);
  REQUIRE(pdf.status == 201);
  CHECK(pdf.body["document"]["content_type"] == "application/pdf");
  CHECK(pdf.body["document"]["passages"] == 1);
  CHECK(pdf.body["document"]["bytes"].get<long>() > 300);
  auto md = f.post("/api/knowledge-base", admin,
                   {{"name", "FAQ"}, {"content_type", "text/markdown"}, {"content", faq_md}});
  INFO(md.text);
  REQUIRE(md.status == 201);
  CHECK(md.body["document"]["passages"] == 2);
  CHECK(md.body["document"]["bytes"] == std::string{faq_md}.size());
  // Bay Smiles has its own answer, which Harbor Dental's callers must never hear.
  REQUIRE(f.post("/api/knowledge-base", mint(b),
                 {{"name", "Bay policies"},
                  {"content_type", "text/plain"},
                  {"content", "Bay Smiles never takes walk-ins: appointments only."}})
              .status == 201);

  auto listed = f.get("/api/knowledge-base", mint(a, "member"));
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body["documents"].size() == 2);
  for (const auto& d : listed.body["documents"]) {
    CHECK(d["id"].get<std::string>().size() == 36);
    CHECK(!d["created_at"].get<std::string>().empty());
    CHECK(d["name"] != "Bay policies");
  }

  auto answer = search(f, "kb-call-a", number_a, "do you take walk-ins?");
  INFO(answer);
  CHECK(answer.rfind("[Front desk policies.pdf] Walk-ins: yes, we take walk-ins", 0) == 0);
  CHECK(answer.find("Bay Smiles") == std::string::npos);
  CHECK(answer.size() <= 1500);
  CHECK(search(f, "kb-call-a2", number_a, "where do I park").find("[FAQ]") == 0);
  auto theirs = search(f, "kb-call-b", number_b, "do you take walk-ins?");
  CHECK(theirs == "[Bay policies] Bay Smiles never takes walk-ins: appointments only.");
  CHECK(search(f, "kb-call-b2", number_b, "parking") ==
        "Nothing in the clinic's knowledge base matches \"parking\".");
  // A bad argument is an error result.
  auto bad = f.tool_result(tool_calls("kb-call-a3", number_a,
                                      {{"kb-bad", "search_knowledge_base", {{"query", 7}}}}));
  CHECK(bad.contains("error"));
}

TEST_CASE("uploads that are not what they claim or too large or malformed are refused precisely") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(a);
  auto refused = [&](const json& body, int status, const std::string& code,
                     const std::string& field) {
    auto r = f.post("/api/knowledge-base", admin, body);
    INFO(body.dump().substr(0, 200) << " → " << r.text.substr(0, 300));
    CHECK(r.status == status);
    CHECK(r.body["error"]["code"] == code);
    if (!field.empty()) CHECK(r.body["error"]["field"] == field);
  };
  refused(pdf_upload("x.pdf", "GIF89a not a pdf at all"), 400, "content_type_mismatch",
          "content_base64");
  refused({{"name", "x"}, {"content_type", "text/plain"}, {"content", tiny_pdf({"hi"})}}, 400,
          "content_type_mismatch", "content");
  refused(pdf_upload("x.pdf", "%PDF-1.4\nthis is no PDF body\n%%EOF"), 400, "unreadable_pdf",
          "content_base64");
  refused(pdf_upload("blank.pdf", tiny_pdf({})), 400, "no_text", "content_base64");
  refused({{"name", "x"}, {"content_type", "application/pdf"}, {"content_base64", "JVBE*i0x"}},
          400, "invalid_field", "content_base64");
  refused({{"name", "x"}, {"content_type", "text/html"}, {"content", "<p>hi</p>"}}, 400,
          "invalid_field", "content_type");
  refused({{"name", "x"}, {"content_type", "application/pdf"}, {"content", "hi"}}, 400,
          "invalid_field", "content");
  refused({{"content_type", "text/plain"}, {"content", "hi"}}, 400, "invalid_field", "name");
  refused({{"name", std::string(201, 'n')}, {"content_type", "text/plain"}, {"content", "hi"}},
          400, "invalid_field", "name");
  refused({{"name", "x"}, {"content_type", "text/plain"}, {"content", ""}}, 400, "invalid_field",
          "content");
  refused({{"name", "x"}, {"content_type", "text/plain"}, {"content", "hi"}, {"owner", "me"}},
          400, "invalid_field", "owner");
  // 512 KiB + 1 byte of text: over the document limit, under the 1 MiB body limit.
  refused({{"name", "big"}, {"content_type", "text/plain"},
           {"content", std::string(512 * 1024 + 1, 'a')}},
          413, "document_too_large", "content");
  // Over the body limit: the server's own 413, before the route.
  refused({{"name", "huge"}, {"content_type", "text/plain"},
           {"content", std::string(1100 * 1024, 'a')}},
          413, "payload_too_large", "");
  // Exactly at the limit is accepted.
  std::string at_limit;
  while (at_limit.size() + 6 <= 512 * 1024) at_limit += "words ";
  at_limit.resize(512 * 1024, 'x');
  auto ok = f.post("/api/knowledge-base", admin,
                   {{"name", "at limit"}, {"content_type", "text/plain"}, {"content", at_limit}});
  INFO(ok.text.substr(0, 300));
  CHECK(ok.status == 201);
  CHECK(ok.body["document"]["bytes"] == 512 * 1024);
  CHECK(f.post("/api/knowledge-base", mint(a, "member"),
               {{"name", "x"}, {"content_type", "text/plain"}, {"content", "hi"}})
            .status == 403);
}

TEST_CASE("a document is deleted by its tenant only") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Bay Smiles", number_b);
  auto made = f.post("/api/knowledge-base", mint(a),
                     {{"name", "FAQ"}, {"content_type", "text/markdown"}, {"content", faq_md}});
  REQUIRE(made.status == 201);
  const std::string id = made.body["document"]["id"];
  CHECK(f.del("/api/knowledge-base/" + id, mint(b)).status == 404);
  CHECK(f.del("/api/knowledge-base/not-a-uuid", mint(a)).status == 404);
  CHECK(f.del("/api/knowledge-base/" + id, mint(a, "member")).status == 403);
  auto gone = f.del("/api/knowledge-base/" + id, mint(a));
  REQUIRE(gone.status == 200);
  CHECK(gone.body["document"]["name"] == "FAQ");
  CHECK(f.get("/api/knowledge-base", mint(a)).body["documents"].empty());
  CHECK(search(f, "kb-del", number_a, "parking").rfind("Nothing", 0) == 0);
  CHECK(f.del("/api/knowledge-base/" + id, mint(a)).status == 404);
}
