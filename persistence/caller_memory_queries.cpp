// SQL behind caller_memory_queries.hpp. Readers take columns by name (detail::named_row).
#include "persistence/caller_memory_queries.hpp"

#include <cstdint>

#include "persistence/detail/rows.hpp"

namespace rm::persistence {

std::optional<domain::caller_history> load_caller_memory(pqxx::work& tx, const std::string& org_id,
                                                         const std::string& caller_e164,
                                                         const std::string& current_call_id) {
  // Index use: contacts (org_id, phone_e164) unique; calls_org_caller (org_id, caller,
  // created_at); appointments_org_starts (org_id, starts_at).
  const auto rows = tx.exec_params(
      "SELECT ct.name AS name, o.time_zone AS time_zone,"
      " (SELECT c.summary FROM calls c"
      "   WHERE c.org_id = ct.org_id AND c.caller = ct.phone_e164"
      "     AND c.state IN ('reported', 'scored') AND c.id <> $3"
      "     AND coalesce(btrim(c.summary), '') <> ''"
      "   ORDER BY coalesce(c.ended_at, c.created_at) DESC, c.created_at DESC LIMIT 1)"
      "   AS last_summary,"
      " (SELECT extract(epoch from a.starts_at)::bigint FROM appointments a"
      "   WHERE a.org_id = ct.org_id AND a.contact_id = ct.id AND a.status = 'booked'"
      "     AND a.starts_at > now()"
      "   ORDER BY a.starts_at LIMIT 1) AS next_start_s"
      " FROM contacts ct JOIN organizations o ON o.id = ct.org_id"
      " WHERE ct.org_id = $1 AND ct.phone_e164 = $2",
      org_id, caller_e164, current_call_id);
  if (rows.empty()) return std::nullopt;
  const detail::named_row r = rows[0];
  domain::caller_history h;
  h.name = detail::text(r["name"]);
  h.time_zone = detail::text(r["time_zone"]);
  h.last_summary = detail::text(r["last_summary"]);
  h.next_appointment = detail::optional_at(r["next_start_s"]);
  return h;
}

}  // namespace rm::persistence
