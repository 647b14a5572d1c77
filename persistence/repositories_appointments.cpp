// SQL behind repositories.hpp, section "appointments": holds and bookings on a tenant's calendar.
// The exclusion constraint on appointments is the guarantee against double booking; writers of
// one calendar also queue on an advisory lock (see lock_calendar). Instants travel as epoch
// seconds; readers take columns by name (detail::named_row).
#include "persistence/repositories.hpp"

#include <stdexcept>

#include "domain/uuid.hpp"
#include "persistence/detail/readers.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::begun;
using detail::named_row;
using detail::optional_at;
using detail::or_null;
using detail::text;
using domain::is_uuid;

// Concurrent inserts into one exclusion constraint can deadlock: each checker waits for the
// other's uncommitted row. Writers of one tenant's calendar therefore queue on a transaction-level
// advisory lock (released at commit/rollback); the constraint stays the guarantee.
void lock_calendar(pqxx::work& tx, const std::string& org_id) {
  detail::lock_key(tx, "rm.calendar:" + org_id);
}

appointment_status status_from_string(const std::string& s) {
  using st = appointment_status;
  for (st status : {st::held, st::booked, st::cancelled, st::expired}) {
    if (s == to_string(status)) return status;
  }
  throw std::runtime_error("appointments: unknown status '" + s + "'");
}

}  // namespace

namespace detail {

// Epoch-second instants are aliased *_s so that they never shadow the timestamptz columns.
const char* const appointment_columns =
    "id, org_id, call_id, tool_call_id, contact_id, status,"
    " extract(epoch from starts_at)::bigint AS starts_at_s,"
    " extract(epoch from ends_at)::bigint AS ends_at_s,"
    " extract(epoch from blocked_until)::bigint AS blocked_until_s,"
    " extract(epoch from hold_expires_at)::bigint AS hold_expires_at_s";

appointment read_appointment(named_row r) {
  appointment a;
  a.id = r["id"].c_str();
  a.org_id = r["org_id"].c_str();
  a.call_id = text(r["call_id"]);
  a.tool_call_id = text(r["tool_call_id"]);
  a.contact_id = text(r["contact_id"]);
  a.status = status_from_string(r["status"].c_str());
  a.starts_at = at(r["starts_at_s"]);
  a.ends_at = at(r["ends_at_s"]);
  a.blocked_until = at(r["blocked_until_s"]);
  a.hold_expires_at = optional_at(r["hold_expires_at_s"]);
  return a;
}

}  // namespace detail

using detail::appointment_columns;
using detail::read_appointment;

const char* to_string(appointment_status s) {
  switch (s) {
    case appointment_status::held: return "held";
    case appointment_status::booked: return "booked";
    case appointment_status::cancelled: return "cancelled";
    case appointment_status::expired: return "expired";
  }
  return "held";
}

std::vector<domain::busy_interval> busy_between(pqxx::work& tx, const std::string& org_id,
                                                domain::instant from, domain::instant to,
                                                domain::instant now) {
  if (to <= from || !is_uuid(org_id)) return {};
  auto rows = tx.exec_params(
      "SELECT extract(epoch from starts_at)::bigint AS starts_at_s,"
      " extract(epoch from blocked_until)::bigint AS blocked_until_s"
      " FROM appointments WHERE org_id = $1 AND status IN ('held', 'booked')"
      " AND (status = 'booked' OR hold_expires_at > to_timestamp($4))"
      " AND tstzrange(starts_at, blocked_until, '[)')"
      "  && tstzrange(to_timestamp($2), to_timestamp($3), '[)')"
      " ORDER BY starts_at",
      org_id, to_epoch(from), to_epoch(to), to_epoch(now));
  std::vector<domain::busy_interval> out;
  out.reserve(rows.size());
  for (const named_row r : rows) out.push_back({at(r["starts_at_s"]), at(r["blocked_until_s"])});
  return out;
}

std::vector<appointment> blocking_between(pqxx::work& tx, const std::string& org_id,
                                          domain::instant from, domain::instant to) {
  if (to <= from || !is_uuid(org_id)) return {};
  auto rows = tx.exec_params(
      std::string("SELECT ") + appointment_columns +
          " FROM appointments WHERE org_id = $1 AND status IN ('held', 'booked')"
          " AND tstzrange(starts_at, blocked_until, '[)')"
          "  && tstzrange(to_timestamp($2), to_timestamp($3), '[)')"
          " ORDER BY starts_at",
      org_id, to_epoch(from), to_epoch(to));
  std::vector<appointment> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_appointment(r));
  return out;
}

std::vector<std::string> expire_holds(pqxx::work& tx, const std::string& org_id,
                                      domain::instant now,
                                      std::optional<domain::busy_interval> only_overlapping) {
  if (!is_uuid(org_id)) return {};
  lock_calendar(tx, org_id);  // before touching rows, so the lock order is always the same
  pqxx::result rows;
  if (only_overlapping && only_overlapping->end > only_overlapping->start) {
    rows = tx.exec_params(
        "UPDATE appointments SET status = 'expired' WHERE org_id = $1 AND status = 'held'"
        " AND hold_expires_at <= to_timestamp($2)"
        " AND tstzrange(starts_at, blocked_until, '[)')"
        "  && tstzrange(to_timestamp($3), to_timestamp($4), '[)')"
        " RETURNING id",
        org_id, to_epoch(now), to_epoch(only_overlapping->start),
        to_epoch(only_overlapping->end));
  } else if (only_overlapping) {
    return {};  // an empty range overlaps nothing
  } else {
    rows = tx.exec_params(
        "UPDATE appointments SET status = 'expired' WHERE org_id = $1 AND status = 'held'"
        " AND hold_expires_at <= to_timestamp($2) RETURNING id",
        org_id, to_epoch(now));
  }
  std::vector<std::string> out;
  for (const named_row r : rows) out.emplace_back(r["id"].c_str());
  return out;
}

insert_result insert_appointment(pqxx::work& tx, const appointment& a) {
  std::optional<std::int64_t> hold;
  if (a.hold_expires_at) hold = to_epoch(*a.hold_expires_at);
  lock_calendar(tx, a.org_id);
  try {
    // A savepoint: the exclusion violation must not poison the caller's transaction.
    pqxx::subtransaction sub{tx, "insert_appointment"};
    begun(sub);
    auto r = sub.exec_params1(
        std::string("INSERT INTO appointments (org_id, contact_id, call_id, tool_call_id, status,"
                    " starts_at, ends_at, blocked_until, hold_expires_at)"
                    " VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($7),"
                    " to_timestamp($8), to_timestamp($9)) RETURNING ") +
            appointment_columns,
        a.org_id, or_null(a.contact_id), or_null(a.call_id), or_null(a.tool_call_id),
        to_string(a.status), to_epoch(a.starts_at), to_epoch(a.ends_at),
        to_epoch(a.blocked_until), hold);
    insert_result result{read_appointment(r), insert_error::none};
    sub.commit();
    return result;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "23P01") return {std::nullopt, insert_error::overlaps};
    throw;
  }
}

std::optional<appointment> find_appointment(pqxx::work& tx, const std::string& org_id,
                                            const std::string& id) {
  if (!is_uuid(org_id) || !is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string("SELECT ") + appointment_columns +
                                 " FROM appointments WHERE org_id = $1 AND id = $2",
                             org_id, id);
  if (rows.empty()) return std::nullopt;
  return read_appointment(rows[0]);
}

bool book_held(pqxx::work& tx, const std::string& appointment_id, const std::string& contact_id) {
  if (!is_uuid(appointment_id)) return false;
  // A row still 'held' is still protected by the exclusion constraint, so booking it is safe
  // even a moment after hold_expires_at.
  auto r = tx.exec_params(
      "UPDATE appointments SET status = 'booked', contact_id = $2, hold_expires_at = NULL"
      " WHERE id = $1 AND status = 'held'",
      appointment_id, or_null(contact_id));
  return r.affected_rows() == 1;
}

std::vector<appointment> appointments_for_call(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + appointment_columns +
                                 " FROM appointments WHERE call_id = $1 ORDER BY created_at, id",
                             call_id);
  std::vector<appointment> out;
  for (const auto& r : rows) out.push_back(read_appointment(r));
  return out;
}

std::optional<domain::instant> next_hold_expiry(pqxx::work& tx, const std::string& org_id) {
  if (!is_uuid(org_id)) return std::nullopt;
  // Includes holds already past due but not yet marked: the timer should fire at once for them.
  auto r = tx.exec_params1(
      "SELECT extract(epoch from min(hold_expires_at))::bigint AS next_expiry_s FROM appointments"
      " WHERE org_id = $1 AND status = 'held'",
      org_id);
  return optional_at(named_row{r}["next_expiry_s"]);
}

}  // namespace rm::persistence
