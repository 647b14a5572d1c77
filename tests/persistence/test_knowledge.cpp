// The knowledge base's tables (012): documents, passages, full-text search, under row-level
// security as the service runs them (ringmaster_app, tenant named by set_tenant).
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "domain/knowledge.hpp"
#include "persistence/knowledge_queries.hpp"
#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::domain::document_format;
using rm::domain::split_passages;
using rm::persistence::test::make_tenant;

namespace {

const char* faq_a =
    "# Harbor Dental FAQ\n\n"
    "## Opening hours\n\nWe are open Monday to Friday from 9 am to 5 pm. We are closed on "
    "public holidays.\n\n"
    "## Walk-ins\n\nYes, we take walk-ins every weekday morning before noon; patients with an "
    "appointment are seen first, so expect to wait.\n\n"
    "## Parking\n\nFree parking is behind the building, entrance on Pine Street.\n\n"
    "## Insurance\n\nWe accept most PPO dental plans and bill your insurer directly.\n";

const char* faq_b =
    "# Bay Smiles\n\nWalk-ins: sorry, Bay Smiles sees patients by appointment only and never "
    "takes walk-ins.\n";

std::unique_ptr<pqxx::connection> app_connection(const std::string& url) {
  auto c = std::make_unique<pqxx::connection>(url);
  pqxx::nontransaction n{*c};
  n.exec("SET ROLE ringmaster_app");
  return c;
}

struct kb_world {
  rm::testing::scratch_database db;
  std::string a, b;
  std::unique_ptr<pqxx::connection> app;
  kb_world() {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    a = make_tenant(tx, "Harbor Dental", "+14155550100");
    b = make_tenant(tx, "Bay Smiles", "+14155550199");
    tx.commit();
    app = app_connection(db.url());
  }
  knowledge_document_row upload(const std::string& org, const std::string& name, const char* md) {
    pqxx::work tx{*app};
    set_tenant(tx, org);
    auto row = insert_knowledge_document(tx, org, name, "text/markdown",
                                         static_cast<long long>(std::string{md}.size()),
                                         split_passages(md, document_format::markdown));
    tx.commit();
    return row;
  }
  std::vector<rm::domain::knowledge_hit> search(const std::string& org, const std::string& q) {
    pqxx::work tx{*app};
    set_tenant(tx, org);
    return search_knowledge(tx, q, 3);
  }
};

}  // namespace

TEST_CASE("a Markdown document is stored with its passages and listed", "[knowledge]") {
  kb_world w;
  auto doc = w.upload(w.a, "FAQ", faq_a);
  CHECK(doc.passages == 4);  // the title heading joins the first section
  CHECK(doc.content_type == "text/markdown");
  pqxx::work tx{*w.app};
  set_tenant(tx, w.a);
  auto listed = list_knowledge_documents(tx);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == doc.id);
  CHECK(listed[0].bytes == static_cast<long long>(std::string{faq_a}.size()));
  CHECK(tx.exec1("SELECT count(*) FROM knowledge_passages")[0].as<int>() == 4);
}

TEST_CASE("the search finds the passage that answers do you take walk-ins and only the tenant's",
          "[knowledge]") {
  kb_world w;
  w.upload(w.a, "FAQ", faq_a);
  w.upload(w.b, "Policies", faq_b);
  auto hits = w.search(w.a, "do you take walk-ins?");
  REQUIRE(!hits.empty());
  CHECK(hits[0].document_name == "FAQ");
  CHECK(hits[0].text.find("we take walk-ins every weekday morning") != std::string::npos);
  for (const auto& h : hits) CHECK(h.text.find("Bay Smiles") == std::string::npos);
  auto theirs = w.search(w.b, "do you take walk-ins?");
  REQUIRE(theirs.size() == 1);
  CHECK(theirs[0].document_name == "Policies");
  CHECK(w.search(w.a, "where can I park").at(0).text.find("Pine Street") != std::string::npos);
  CHECK(w.search(w.a, "what is it?").empty());  // stop words only
  // websearch syntax: an excluded word, a quoted phrase
  CHECK(w.search(w.a, "walk-ins -weekday").empty());
  CHECK(w.search(w.a, "\"free parking\"").size() == 1);
}

TEST_CASE("at most three passages come back, best first", "[knowledge]") {
  kb_world w;
  w.upload(w.a, "FAQ", faq_a);
  auto hits = w.search(w.a, "we are open hours parking insurance walk-ins");
  CHECK(hits.size() == 3);
}

TEST_CASE("another tenant cannot delete, see or write a document", "[knowledge]") {
  kb_world w;
  auto doc = w.upload(w.a, "FAQ", faq_a);
  {
    pqxx::work tx{*w.app};
    set_tenant(tx, w.b);
    CHECK_FALSE(delete_knowledge_document(tx, doc.id));
    CHECK(list_knowledge_documents(tx).empty());
    CHECK(tx.exec1("SELECT count(*) FROM knowledge_passages")[0].as<int>() == 0);
    tx.commit();
  }
  {
    pqxx::work tx{*w.app};
    set_tenant(tx, w.b);
    CHECK_THROWS_AS(insert_knowledge_document(tx, w.a, "x", "text/plain", 1, {"x"}),
                    pqxx::sql_error);  // RLS WITH CHECK: B cannot write A's rows
  }
  pqxx::work tx{*w.app};
  set_tenant(tx, w.a);
  CHECK_FALSE(delete_knowledge_document(tx, "not-a-uuid"));
  auto gone = delete_knowledge_document(tx, doc.id);
  REQUIRE(gone);
  CHECK(gone->name == "FAQ");
  CHECK(tx.exec1("SELECT count(*) FROM knowledge_passages")[0].as<int>() == 0);  // cascaded
  tx.commit();
  CHECK(w.search(w.a, "walk-ins").empty());
}
