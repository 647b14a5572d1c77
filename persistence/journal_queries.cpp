#include "persistence/journal_queries.hpp"

#include <string_view>

#include "persistence/detail/rows.hpp"

namespace rm::persistence {

namespace {

// A PostgreSQL array literal built element by element: every value quoted and escaped, or NULL.
class array_literal {
 public:
  void add(std::string_view x) {
    open();
    out_ += '"';
    for (char ch : x) {
      if (ch == '"' || ch == '\\') out_ += '\\';
      out_ += ch;
    }
    out_ += '"';
  }
  // (Without it a const char* would pick add(bool).)
  void add(const char* x) { add(std::string_view{x}); }
  void add(const std::string& x) { add(std::string_view{x}); }
  void add_or_null(std::string_view x) {  // "" → NULL
    if (x.empty()) {
      open();
      out_ += "NULL";
    } else {
      add(x);
    }
  }
  void add(std::int64_t x) {
    open();
    out_ += std::to_string(x);
  }
  void add(bool x) {
    open();
    out_ += x ? 't' : 'f';
  }
  std::string str() const { return out_ + "}"; }

 private:
  void open() { out_ += out_.size() == 1 ? "" : ","; }
  std::string out_ = "{";
};

}  // namespace

std::vector<journal_row_outcome> journal_events(pqxx::work& tx,
                                                const std::vector<journal_event_row>& rows) {
  std::vector<journal_row_outcome> out(rows.size(), journal_row_outcome::fallback);
  if (rows.empty()) return out;
  array_literal ids, orgs, fresh, directions, callers, dialled, sids, kinds, statuses,
      event_reasons, occurred, dedup, payloads, known, states, outcomes, reasons, started, ended;
  for (const auto& r : rows) {
    ids.add(r.call.id);
    orgs.add(r.call.org_id);
    fresh.add(r.fresh);
    directions.add(r.call.direction);
    callers.add(r.call.caller);
    dialled.add(r.call.dialled);
    sids.add_or_null(r.call.provider_call_sid);
    kinds.add(domain::to_string(r.event.kind));
    statuses.add(domain::to_string(r.event.status));
    event_reasons.add(r.event.ended_reason);
    occurred.add(r.event.occurred_at_ms);
    dedup.add(r.event.dedup_key);
    payloads.add_or_null(r.payload_json);
    known.add(static_cast<std::int64_t>(r.known_events));
    states.add(domain::to_string(r.projection.state));
    outcomes.add_or_null(domain::to_string(r.projection.outcome));
    reasons.add_or_null(r.projection.ended_reason);
    started.add(r.projection.started_at_ms);
    ended.add(r.projection.ended_at_ms);
  }
  auto result = tx.exec_params(
      "SELECT row_idx, row_outcome FROM rm_journal_events($1::text[], $2::uuid[], $3::boolean[],"
      " $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],"
      " $11::bigint[], $12::text[], $13::jsonb[], $14::integer[], $15::text[], $16::text[],"
      " $17::text[], $18::bigint[], $19::bigint[])",
      ids.str(), orgs.str(), fresh.str(), directions.str(), callers.str(), dialled.str(),
      sids.str(), kinds.str(), statuses.str(), event_reasons.str(), occurred.str(), dedup.str(),
      payloads.str(), known.str(), states.str(), outcomes.str(), reasons.str(), started.str(),
      ended.str());
  for (const detail::named_row r : result) {
    auto i = r["row_idx"].as<std::size_t>();
    if (i < 1 || i > rows.size()) continue;
    std::string_view what = r["row_outcome"].c_str();
    out[i - 1] = what == "stored"    ? journal_row_outcome::stored
                 : what == "foreign" ? journal_row_outcome::foreign
                                     : journal_row_outcome::fallback;
  }
  return out;
}

}  // namespace rm::persistence
